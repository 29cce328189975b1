"""Collections with a role. A document is either the guidance itself (the seed release, the
published guidelines: `corpus/documents`) or related material (Acts, news, cabinet items,
uploads). The role is set at ingest (`assistant ingest --collection`, else by folder) and kept
in the document's catalog entry; retrieval prefers the guidance (retrieve/retriever.py)."""

from __future__ import annotations

from pathlib import Path

GUIDANCE = "guidance"
RELATED = "related"
ROLES = (GUIDANCE, RELATED)

# Folders whose files are the guidance unless ingest is told otherwise: the project's shipped
# corpus/documents and a folder named seed (../shared/seed).
GUIDANCE_FOLDERS: tuple[tuple[str, ...], ...] = (("corpus", "documents"), ("seed",))


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown collection {role!r}; choose from {', '.join(ROLES)}")
    return role


def role_for_path(path: str | Path) -> str:
    """The default role of a file by the folder it lies in."""
    parts = Path(path).parts[:-1]
    for folder in GUIDANCE_FOLDERS:
        n = len(folder)
        if any(parts[i : i + n] == folder for i in range(len(parts) - n + 1)):
            return GUIDANCE
    return RELATED


def role_of(meta: dict, source: str) -> str:
    """A catalog entry's role: the one recorded at ingest, else (an index built before roles
    were recorded) the default for the file it came from."""
    role = meta.get("collection") if isinstance(meta, dict) else None
    return role if role in ROLES else role_for_path(source)

"""Who may upload: users from ASSISTANT_UI_USER / ASSISTANT_UI_PASSWORD, or a JSON file.

The file (`--users FILE`, else `<index>/ui-users.json`) maps user names to passwords, either plain
or hashed as `pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>` (see `hash_password`):

    {"somchai": "pbkdf2_sha256$200000$9f...$4c...", "trainer": "a plain password"}

A user may also carry a role: `{"ratana": {"password": "...", "role": "reviewer"}}`. Every user may
upload; a reviewer also gets the review tab (ui/review.py). The environment's user takes its role
from ASSISTANT_UI_ROLE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

USERS_FILE = "ui-users.json"
ROLES = ("uploader", "reviewer")
_ITERATIONS = 200_000


class UsersFileError(ValueError):
    pass


def hash_password(password: str, iterations: int = _ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def _matches(stored: str, given: str) -> bool:
    if stored.startswith("pbkdf2_sha256$"):
        try:
            _, iters, salt, want = stored.split("$")
            got = hashlib.pbkdf2_hmac("sha256", given.encode("utf-8"), bytes.fromhex(salt), int(iters)).hex()
        except ValueError:
            return False
        return hmac.compare_digest(got.encode(), want.encode())
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))


@dataclass
class Users:
    entries: dict[str, str] = field(default_factory=dict)
    source: str = ""
    roles: dict[str, str] = field(default_factory=dict)  # name → role; absent: "uploader"

    def is_reviewer(self, user: str | None) -> bool:
        """For a name already logged in (the session state): may it use the review tab?"""
        return bool(user) and user in self.entries and self.roles.get(user) == "reviewer"

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def check(self, user: str, password: str) -> bool:
        """Constant-time in the password; every configured user is compared so timing does not
        reveal which names exist."""
        user, password = (user or "").strip(), password or ""
        ok = False
        for name, stored in self.entries.items():
            same_name = hmac.compare_digest(name.encode("utf-8"), user.encode("utf-8"))
            same_pw = _matches(stored, password)
            ok |= same_name and same_pw
        return ok and bool(password)


def load_users(index_dir: Path | None = None, users_file: Path | None = None, env: dict | None = None) -> Users:
    env = os.environ if env is None else env
    entries: dict[str, str] = {}
    roles: dict[str, str] = {}
    sources = []
    user, pw = env.get("ASSISTANT_UI_USER", "").strip(), env.get("ASSISTANT_UI_PASSWORD", "")
    if user and pw:
        entries[user] = pw
        roles[user] = _role(env.get("ASSISTANT_UI_ROLE", ""), "ASSISTANT_UI_ROLE")
        sources.append("env")
    path = Path(users_file) if users_file else (Path(index_dir) / USERS_FILE if index_dir else None)
    if path is not None and (users_file or path.exists()):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsersFileError(f"{path}: cannot read users ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("users"), list):  # [{"user","password"[,"role"]}]
            data = {u.get("user") or u.get("username"): u for u in data["users"] if isinstance(u, dict)}
        if isinstance(data, dict):  # {"name": {"password", "role"}} → passwords, roles aside
            for name, v in list(data.items()):
                if isinstance(v, dict):
                    roles[name] = _role(v.get("role", ""), f"{path}: {name}")
                    data[name] = v.get("password")
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in data.items()):
            raise UsersFileError(f'{path}: expected {{"user name": "password", ...}}')
        entries.update(data)
        sources.append(str(path))
    return Users(entries, ", ".join(sources), roles)


def _role(value, where: str) -> str:
    role = str(value or "uploader").strip().lower()
    if role not in ROLES:
        raise UsersFileError(f"{where}: unknown role {value!r}; roles are {', '.join(ROLES)}")
    return role

"""Offline Thai policy assistant: Thai text, the embedding model, the index, query understanding,
retrieval and cited answers.

The public API (what ui/, eval/ and other programs use):

    from assistant import Assistant, load_settings
    a = Assistant(load_settings(index_dir="var/index"))
    answer = a.ask("แนวทางที่ 7 คืออะไร")          # Answer: .answer, .citations, .hits, .refused
    plan = a.understand("...")                       # QueryPlan
    retrieval = a.retrieve(plan)                     # Retrieval: .hits, .evidence

Extension points: `register_ranker` (retrieve/rankers.py), `register_answerer`
(answer/answerers.py; the built-in ones are added in answer/build.py); loaders register in ingest/loaders.py. docs/architecture.md.
"""

from assistant.offline import force_offline

force_offline()

__version__ = "0.1.0"

# Imported on first use: `import assistant` stays light (the CLI starts fast, tests import parts).
_EXPORTS = {
    "Assistant": "assistant.service",
    "Settings": "assistant.config",
    "load_settings": "assistant.config",
    "Document": "assistant.schema",
    "Section": "assistant.schema",
    "Chunk": "assistant.schema",
    "QueryPlan": "assistant.schema",
    "Hit": "assistant.schema",
    "Evidence": "assistant.schema",
    "Retrieval": "assistant.schema",
    "Citation": "assistant.schema",
    "Answer": "assistant.schema",
    "RANKERS": "assistant.retrieve.rankers",
    "register_ranker": "assistant.retrieve.rankers",
    "ANSWERERS": "assistant.answer.build",
    "Answerer": "assistant.answer.answerers",
    "register_answerer": "assistant.answer.answerers",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")

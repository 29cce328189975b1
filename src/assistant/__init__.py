"""Offline Thai policy assistant: shared machinery (Thai text, model, stores, retrieval, answers)."""

from assistant.offline import force_offline

force_offline()

__version__ = "0.1.0"

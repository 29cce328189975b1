"""Retrieval: the rankers table and fusion over it."""

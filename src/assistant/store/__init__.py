"""The index: SQLite catalog (truth), Chroma vectors, BM25 keyword index."""

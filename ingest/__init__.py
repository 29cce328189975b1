"""Ingestion stage: read files, chunk Thai text, embed and write to the index."""

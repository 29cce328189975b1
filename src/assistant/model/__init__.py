"""The embedding model: rebuilt from PyPI packages, loaded behind LangChain's Embeddings."""

"""Answering: evidence and refusal, the answerers table, extractive and generative answerers."""

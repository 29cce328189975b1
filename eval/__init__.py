"""Evaluation stage: question sets, metrics, baselines side by side, reports with plots."""

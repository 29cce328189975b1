"""Query understanding: the QueryPlan a question becomes before retrieval, and follow-up rewriting."""

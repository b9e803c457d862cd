"""Ingest's use cases: accepting events (alone, grouped, in batches), claims, deletions."""

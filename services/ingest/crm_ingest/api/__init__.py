"""Ingest's routes: events, the providers' hooks, the internal identity claim."""

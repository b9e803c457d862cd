"""Ingest's pure rules: normalization, identities, the providers' hooks, signatures, outcomes."""

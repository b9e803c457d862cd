"""Ingest: verifies, validates, normalizes, de-duplicates webhooks; publishes to Kafka."""

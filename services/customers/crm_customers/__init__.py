"""Customers: the Kundekort API, the pipeline and its vocabularies, interactions."""

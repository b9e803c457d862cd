"""Shared service plumbing; no domain rules."""

"""Frazer CRM shared schemas: pure data, no I/O."""

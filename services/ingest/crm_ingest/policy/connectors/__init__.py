"""The providers' own webhooks (docs/connectors.md) as delivery items: pure mapping rules."""

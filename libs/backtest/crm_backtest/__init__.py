"""Backtest kit: generate a seeded history, replay it through the gateway, predict what the
system must show from docs/domain.md alone (the oracle), and compare with what its APIs
answer."""

"""The rules' use cases: each reads through the repository, decides with policy, writes once."""

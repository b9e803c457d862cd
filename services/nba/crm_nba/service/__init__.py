"""The NBA's use cases: they read through the repository, decide with the policy, write once.

They run inside the caller's transaction and never commit; the consumer batch, the timer
tick or the request owns it.
"""

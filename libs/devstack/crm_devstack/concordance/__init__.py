"""The concordance: docs/concordance/ written from the crm_schemas models, and checked.

A developer tool, not a schema: it reads the catalog, the models and the vocabularies, and
traces them to the earlier system's files and DOMAIN.md. artifacts gives the files' text, cli
writes or checks them (`python -m crm_devstack.concordance [--check]`).
"""

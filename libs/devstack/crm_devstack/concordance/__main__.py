"""`python -m crm_devstack.concordance [--check]`: write or check docs/concordance/."""

from crm_devstack.concordance.cli import app

app()

"""`python -m crm_devstack.contract [--check]`: write or check the published documents."""

from crm_devstack.contract.cli import app

app()

"""Local launcher for Kafka (KRaft), PostgreSQL and Redis: `crm-devstack` and ensure_up()."""

from crm_devstack.processes import DevstackError
from crm_devstack.settings import Endpoints, StackConfig
from crm_devstack.stack import ensure_up, ensure_up_async

__all__ = ["DevstackError", "Endpoints", "StackConfig", "ensure_up", "ensure_up_async"]

"""Producing to a test topic and polling: the shared test helpers."""

from crm_devstack.kafka_testing import eventually
from crm_devstack.kafka_testing import produce_events as produce

__all__ = ["eventually", "produce"]

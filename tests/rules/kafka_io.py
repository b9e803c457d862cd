"""Producing to and reading from a test topic, and polling: the shared test helpers."""

from crm_devstack.kafka_testing import eventually
from crm_devstack.kafka_testing import produce_events as produce
from crm_devstack.kafka_testing import read_events as read_all

__all__ = ["eventually", "produce", "read_all"]

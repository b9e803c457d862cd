"""Reading customers for the API: one card, or a page of the list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.repository import customers as repository
from crm_customers.customers.repository.lists import ListQuery, list_customers
from crm_servicekit.connection import Conn
from crm_servicekit.problems import NotFound


async def customer(conn: Conn, account_id: str, customer_id: UUID) -> Customer:
    found = await repository.get(conn, account_id, customer_id)
    if found is None:
        raise NotFound("No such customer.")
    return found


async def listed(conn: Conn, query: ListQuery) -> list[tuple[Any, Customer]]:
    """Up to limit + 1 customers with their sort value, in the asked order."""
    return await list_customers(conn, query)

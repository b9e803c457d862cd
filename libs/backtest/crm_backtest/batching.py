"""Batches for POST /api/events/batch that never change the order of one contact's events."""

from __future__ import annotations

from dataclasses import replace

from crm_backtest.history import Delivery


class _OpenBatch:
    def __init__(self, number: int, slot: int) -> None:
        self.number = number
        self.slot = slot  # where in the send order the whole batch goes
        self.items: list[Delivery] = []
        self.contacts: set[str] = set()
        self.touched: set[str] = set()  # contacts sent to by other means since it opened


def group_batches(deliveries: list[Delivery], size: int) -> list[Delivery]:
    """Gather "batch" deliveries into batches of up to `size`, one account each (a token names
    one account), sent where the first item was.

    Pulling an item forward is safe only when its contact had no other send in between, and a
    later single send of a contact already in the batch must wait for the batch; either case
    closes the batch, so each contact's send order is kept.
    """
    slots: list[list[Delivery]] = []
    open_batches: dict[str, _OpenBatch] = {}
    numbers = 0

    def close(account_id: str) -> None:
        batch = open_batches.pop(account_id, None)
        if batch is not None:
            slots[batch.slot] = batch.items

    for delivery in deliveries:
        current = open_batches.get(delivery.account_id)
        if delivery.route != "batch":
            if current is not None and delivery.contact in current.contacts:
                close(delivery.account_id)
            elif current is not None:
                current.touched.add(delivery.contact)
            slots.append([delivery])
            continue
        if current is not None and (
            delivery.contact in current.touched or len(current.items) >= size
        ):
            close(delivery.account_id)
            current = None
        if current is None:
            current = _OpenBatch(numbers, len(slots))
            open_batches[delivery.account_id] = current
            numbers += 1
            slots.append([])
        current.items.append(replace(delivery, batch=current.number))
        current.contacts.add(delivery.contact)
    for account_id in list(open_batches):
        close(account_id)
    return [delivery for slot in slots for delivery in slot]

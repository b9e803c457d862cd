"""Every SQL statement of ingest, by subject; callers use ``repository.<name>``."""

from crm_ingest.repository.bookings import (
    forget_booking_customers,
    live_booking_customers,
    purge_booking_customers,
    record_booking_customers,
)
from crm_ingest.repository.customers import (
    deleted_among,
    is_deleted,
    live_customers_among,
    record_new_customers,
    remember_customer,
    remember_customers,
)
from crm_ingest.repository.deliveries import (
    DeliveryPosition,
    ListedDelivery,
    insert_deliveries,
    list_deliveries,
    purge_deliveries,
)
from crm_ingest.repository.dm_threads import open_dm_threads
from crm_ingest.repository.identities import (
    held_by,
    link_each,
    link_identities,
    linked_customers,
    release_identities,
    unlink,
)
from crm_ingest.repository.records import (
    PENDING,
    PUBLISHED,
    EventRecord,
    forget_records,
    insert_records,
    mark_published,
    purge_records,
    read_records,
    store_messages,
)

__all__ = [
    "PENDING",
    "PUBLISHED",
    "DeliveryPosition",
    "EventRecord",
    "ListedDelivery",
    "deleted_among",
    "forget_booking_customers",
    "forget_records",
    "held_by",
    "insert_deliveries",
    "insert_records",
    "is_deleted",
    "link_each",
    "link_identities",
    "linked_customers",
    "list_deliveries",
    "live_booking_customers",
    "live_customers_among",
    "mark_published",
    "open_dm_threads",
    "purge_booking_customers",
    "purge_deliveries",
    "purge_records",
    "read_records",
    "record_booking_customers",
    "record_new_customers",
    "release_identities",
    "remember_customer",
    "remember_customers",
    "store_messages",
    "unlink",
]

-- The consumer runtime's own state, in every consuming service's database.
-- depends:

-- Idempotency by (account_id, event_id): written in the same transaction as the effects.
CREATE TABLE IF NOT EXISTS processed_events (
    account_id   text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, event_id)
);

-- Tombstones: after CUSTOMER_DELETED every later event for that customer is ignored.
CREATE TABLE IF NOT EXISTS deleted_customers (
    account_id  text        NOT NULL,
    customer_id uuid        NOT NULL,
    deleted_at  timestamptz NOT NULL,
    event_id    text        NOT NULL,
    PRIMARY KEY (account_id, customer_id)
);

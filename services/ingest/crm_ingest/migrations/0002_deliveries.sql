-- The webhook deliveries log: what each delivery item came to, for the account it belongs to
-- (GET /api/hooks/deliveries), kept a few days (deliveries_retention_days).
-- depends: 0001_ingest

CREATE TABLE IF NOT EXISTS deliveries (
    id          bigserial   PRIMARY KEY,
    account_id  text        NOT NULL,
    received_at timestamptz NOT NULL,
    connector   text        NOT NULL,
    provider_id text        NOT NULL,
    outcome     text        NOT NULL
        CHECK (outcome IN ('accepted', 'duplicate', 'ignored', 'rejected', 'failed')),
    reason      text,
    event_id    text,
    customer_id uuid
);
-- The list: one account's rows newest first, paged by (received_at, id).
CREATE INDEX IF NOT EXISTS deliveries_account_newest
    ON deliveries (account_id, received_at DESC, id DESC);
-- The retention purge, across accounts.
CREATE INDEX IF NOT EXISTS deliveries_received_at ON deliveries (received_at);

-- Ingest's own state: de-duplication records, the identity table, customers seen, DM threads.
-- depends:

-- One per (account, event_id): the hash of the normalized event tells a repeat from a reuse;
-- `message` is the exact record published, so a pending repeat republishes the same bytes.
CREATE TABLE IF NOT EXISTS event_records (
    account_id   text        NOT NULL,
    event_id     text        NOT NULL,
    content_hash text        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('pending', 'published')),
    customer_id  uuid,
    message      bytea,
    created_at   timestamptz NOT NULL,
    published_at timestamptz,
    PRIMARY KEY (account_id, event_id)
);
CREATE INDEX IF NOT EXISTS event_records_created_at ON event_records (created_at);

-- Ingest is the single writer of identities; the first link of an identity wins.
CREATE TABLE IF NOT EXISTS identities (
    account_id  text        NOT NULL,
    kind        text        NOT NULL,
    value       text        NOT NULL,
    customer_id uuid        NOT NULL,
    linked_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, kind, value)
);
CREATE INDEX IF NOT EXISTS identities_customer ON identities (account_id, customer_id);

-- Which account a customer id belongs to: another account naming it is "unknown customer".
CREATE TABLE IF NOT EXISTS known_customers (
    customer_id   uuid        PRIMARY KEY,
    account_id    text        NOT NULL,
    first_seen_at timestamptz NOT NULL
);

-- The first DM from a customer on a platform is DM_STARTED; later ones MESSAGE_RECEIVED.
CREATE TABLE IF NOT EXISTS dm_threads (
    account_id     text NOT NULL,
    customer_id    uuid NOT NULL,
    platform       text NOT NULL,
    first_event_id text NOT NULL,
    PRIMARY KEY (account_id, customer_id, platform)
);

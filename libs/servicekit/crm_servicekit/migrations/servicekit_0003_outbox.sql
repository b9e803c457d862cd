-- Transactional outbox: events written with the state change, published by the relay.
-- depends: servicekit_0002_consumer_state

CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial   PRIMARY KEY,
    account_id text        NOT NULL,
    event_id   text        NOT NULL,
    event_name text        NOT NULL,
    topic      text        NOT NULL,
    key        bytea,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    -- A deterministic system event written twice (a redelivered cause) is enqueued once.
    UNIQUE (account_id, event_id)
);

-- The relay reads only what is still to send, in id order.
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

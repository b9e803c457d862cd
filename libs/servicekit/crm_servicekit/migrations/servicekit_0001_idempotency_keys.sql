-- Answers to POSTs sent with an Idempotency-Key (crm_servicekit.idempotency), kept 24 hours.
-- A row is inserted before the work and given its response in the same transaction, so a
-- concurrent request with the same key waits on the row and then replays the answer.
CREATE TABLE idempotency_keys (
    account_id    text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    status_code   integer,
    response_body jsonb,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

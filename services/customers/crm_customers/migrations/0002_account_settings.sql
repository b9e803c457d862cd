-- Each account's automation settings over time: one row per ACCOUNT_SETTINGS_CHANGED, the seed
-- from the accounts file first (docs/domain.md, Accounts).
-- depends: 0001_customers

CREATE TABLE account_settings (
    -- The order the changes were recorded in; of two changes from the same instant the later
    -- recorded is in force.
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     text        NOT NULL,
    event_id       text        NOT NULL,
    effective_from timestamptz NOT NULL,
    settings       jsonb       NOT NULL,
    actor          text        NOT NULL,
    -- One row per event: replicas seeding at once, and a rebuild meeting its events again.
    UNIQUE (account_id, event_id)
);

CREATE INDEX account_settings_in_order ON account_settings (account_id, effective_from, seq);

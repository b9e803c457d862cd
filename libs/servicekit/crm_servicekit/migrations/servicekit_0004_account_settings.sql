-- Each account's automation settings over time, from ACCOUNT_SETTINGS_CHANGED, for the
-- services that apply the settings in force at an instant (crm_servicekit.settings_store).
-- depends: servicekit_0003_outbox

CREATE TABLE IF NOT EXISTS account_settings_history (
    account_id     text        NOT NULL,
    event_id       text        NOT NULL,
    effective_from timestamptz NOT NULL,
    settings       jsonb       NOT NULL,
    -- The order the changes were read in: one account's changes share a partition.
    recorded       bigserial,
    PRIMARY KEY (account_id, event_id)
);

-- The card's own fields of the account (`custom`), and which contact fields a person set or
-- cleared through the API, so an event never overwrites or refills them (docs/domain.md,
-- contact data in later events).
-- depends: 0002_account_settings

ALTER TABLE customers
    ADD COLUMN custom        jsonb NOT NULL DEFAULT '{}',
    -- Their names ("email", "name", "handles.ig", ...) as the keys of a JSON object.
    ADD COLUMN person_fields jsonb NOT NULL DEFAULT '{}';

-- The card's own fields of the account (`custom`), and which contact fields a person set or
-- cleared through the API, so an event never overwrites or refills them (docs/domain.md,
-- contact data in later events).
-- depends: 0002_account_settings

ALTER TABLE customers
    ADD COLUMN custom        jsonb NOT NULL DEFAULT '{}',
    -- Their names ("email", "name", "handles.ig", ...) as the keys of a JSON object.
    ADD COLUMN person_fields jsonb NOT NULL DEFAULT '{}';

-- The card's consent is now folded from the consent each stored entry carries; entries stored
-- before carry none. The consent a card holds is kept as a consent fact at its creation, so a
-- late event's re-fold starts from it instead of dropping it.
INSERT INTO customer_facts (account_id, customer_id, event_id, entry, occurred_at)
SELECT account_id, id, 'consent-before-0003',
       jsonb_build_object('event_id', 'consent-before-0003', 'event_name', 'CUSTOMER_UPDATED',
                          'timestamp', to_jsonb(created_at), 'consent', consent),
       created_at
FROM customers
WHERE consent IS NOT NULL AND consent <> 'null'::jsonb
ON CONFLICT DO NOTHING;

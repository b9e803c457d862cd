-- What decides a customer's next_action_date (crm_schemas.next_action): the person's choice,
-- from CUSTOMER_CREATED and a person's CUSTOMER_UPDATED, and the NBA's due_at, from
-- NBA_CHANGED. The customers service no longer announces a change of the mirrored NBA
-- alone, so stats folds the same rule over the events that carry it.
-- depends: 0005_fewer_write_indexes

ALTER TABLE customer_milestones
    ADD COLUMN person_next_action      text,
    ADD COLUMN person_next_action_date timestamptz,
    ADD COLUMN nba_due_at              timestamptz;

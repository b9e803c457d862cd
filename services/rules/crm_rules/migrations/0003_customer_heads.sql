-- Each customer's head: a new random value whenever their events or reminders are written, so a
-- consumer that kept a customer's replay in memory knows it still stands for the stored rows
-- (crm_rules.service.replays). Triggers renew it, so every writer does: the API, another
-- replica, a replica of an older version during a rolling update, a hand-made fix.
-- depends: 0002_customer_owner

CREATE TABLE customer_heads (
    account_id  text NOT NULL,
    customer_id uuid NOT NULL,
    head        uuid NOT NULL,
    PRIMARY KEY (account_id, customer_id)
);

-- Once per statement, for the customers of the rows it wrote.
CREATE FUNCTION renew_customer_heads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_heads (account_id, customer_id, head)
    SELECT account_id, customer_id, gen_random_uuid()
    FROM (SELECT DISTINCT account_id, customer_id FROM written) AS customers
    ON CONFLICT (account_id, customer_id) DO UPDATE SET head = EXCLUDED.head;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_events_renew_heads AFTER INSERT ON customer_events
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION renew_customer_heads();
CREATE TRIGGER reminders_inserted_renew_heads AFTER INSERT ON reminders
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION renew_customer_heads();
CREATE TRIGGER reminders_updated_renew_heads AFTER UPDATE ON reminders
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION renew_customer_heads();

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

-- An update renews only where a column the rules read changed: marking a reminder notified
-- (due_notified_for, the scheduler's every pass) is not a change of the customer's history.
CREATE FUNCTION renew_heads_of_changed_reminders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_heads (account_id, customer_id, head)
    SELECT account_id, customer_id, gen_random_uuid()
    FROM (
        SELECT DISTINCT n.account_id, n.customer_id
        FROM written n JOIN previous o ON o.account_id = n.account_id AND o.id = n.id
        WHERE (n.type, n.rule, n.trigger_event_id, n.automated, n.message, n.status,
               n.scheduled_for, n.rule_scheduled_for, n.created_at, n.closed_at,
               n.completed_by, n.cancel_reason)
            IS DISTINCT FROM
              (o.type, o.rule, o.trigger_event_id, o.automated, o.message, o.status,
               o.scheduled_for, o.rule_scheduled_for, o.created_at, o.closed_at,
               o.completed_by, o.cancel_reason)
    ) AS customers
    ON CONFLICT (account_id, customer_id) DO UPDATE SET head = EXCLUDED.head;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reminders_updated_renew_heads AFTER UPDATE ON reminders
    REFERENCING OLD TABLE AS previous NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION renew_heads_of_changed_reminders();

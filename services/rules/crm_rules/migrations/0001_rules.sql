-- The rules service's store: each customer's events as the policy replays them, and reminders.
-- depends:

-- What the rules keep of every event about a customer (crm_rules.customer_event).
CREATE TABLE customer_events (
    account_id  text        NOT NULL,
    customer_id uuid        NOT NULL,
    event_id    text        NOT NULL,
    "timestamp" timestamptz NOT NULL,
    event_name  text        NOT NULL,
    body        jsonb       NOT NULL,
    PRIMARY KEY (account_id, customer_id, event_id)
);

CREATE TABLE reminders (
    account_id         text        NOT NULL,
    id                 uuid        NOT NULL,
    customer_id        uuid        NOT NULL,
    type               text        NOT NULL,
    rule               text        NOT NULL,
    trigger_event_id   text        NOT NULL,
    automated          boolean     NOT NULL,
    message            text,
    status             text        NOT NULL CHECK (status IN ('open', 'completed', 'canceled')),
    scheduled_for      timestamptz NOT NULL,
    -- The time the rule gave it; a snooze moves scheduled_for only.
    rule_scheduled_for timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    completed_by       text,
    cancel_reason      text,
    -- The scheduled_for REMINDER_DUE was emitted for; a snoozed reminder is due again.
    due_notified_for   timestamptz,
    PRIMARY KEY (account_id, id)
);

CREATE INDEX reminders_by_customer ON reminders (account_id, customer_id);
CREATE INDEX reminders_open_by_time ON reminders (account_id, scheduled_for, id)
    WHERE status = 'open';
CREATE INDEX reminders_by_status ON reminders (account_id, status, scheduled_for, id);
CREATE INDEX reminders_to_notify ON reminders (scheduled_for)
    WHERE status = 'open' AND due_notified_for IS DISTINCT FROM scheduled_for;

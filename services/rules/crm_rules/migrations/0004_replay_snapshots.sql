-- Where each customer's replay stands after the batch that wrote them last
-- (crm_rules.policy.snapshot), so a consumer that does not hold it in memory continues it
-- rather than reading and re-folding the customer's whole history. A snapshot stands for the
-- customer's head it was written with (customer_heads): any later write of their events or
-- reminders renews the head, and a snapshot of another head is not used (it is written again
-- after the next full replay). No trigger here: writing a snapshot is no change of the history.
-- depends: 0003_customer_heads

CREATE TABLE replay_snapshots (
    account_id  text NOT NULL,
    customer_id uuid NOT NULL,
    head        uuid NOT NULL,
    snapshot    text NOT NULL,
    PRIMARY KEY (account_id, customer_id)
);

-- A continued replay reads a customer's open reminders (and a few others by id), not all of
-- those ever made.
CREATE INDEX reminders_open_by_customer ON reminders (account_id, customer_id)
    WHERE status = 'open';

-- Reminders open now, counted per account by the consumer, so the dashboard reads only the
-- few reminders where a past or present as_of differs from now.
-- depends: 0002_state_counts

-- Reminders with closed_at IS NULL, per account, moved in the batch's transaction.
CREATE TABLE reminder_counts (
    account_id     text    PRIMARY KEY,
    open_reminders integer NOT NULL
);
INSERT INTO reminder_counts (account_id, open_reminders)
SELECT account_id, count(*) FROM reminders WHERE closed_at IS NULL GROUP BY account_id;

-- Open reminders opened after an as_of (time travel), and a deleted customer's reminders.
CREATE INDEX reminders_open_since ON reminders (account_id, opened_at) INCLUDE (scheduled_for)
    WHERE closed_at IS NULL;
CREATE INDEX reminders_by_customer ON reminders (account_id, customer_id);

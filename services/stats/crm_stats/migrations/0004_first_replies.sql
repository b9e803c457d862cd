-- Speed to lead without searching the log: each DM_STARTED with the first reply after it.
-- depends: 0003_reminder_counts

-- One row per (customer, DM instant); reply_at is the customer's first MESSAGE_SENT at or
-- after dm_at (null while unanswered), lowered by the consumer as replies arrive. A deleted
-- customer's rows are removed with them.
CREATE TABLE first_replies (
    account_id  text        NOT NULL,
    customer_id uuid        NOT NULL,
    dm_at       timestamptz NOT NULL,
    reply_at    timestamptz,
    PRIMARY KEY (account_id, customer_id, dm_at)
);
CREATE INDEX first_replies_by_dm ON first_replies (account_id, dm_at)
    INCLUDE (customer_id, reply_at);

INSERT INTO first_replies (account_id, customer_id, dm_at, reply_at)
SELECT d.account_id, d.customer_id, d.dm_at,
    (SELECT min(s.ts) FROM event_log s
     WHERE s.account_id = d.account_id AND s.customer_id = d.customer_id
       AND s.event_name = 'MESSAGE_SENT' AND s.ts >= d.dm_at)
FROM (
    SELECT DISTINCT e.account_id, e.customer_id, e.ts AS dm_at FROM event_log e
    JOIN customer_milestones m ON m.account_id = e.account_id AND m.customer_id = e.customer_id
    WHERE e.event_name = 'DM_STARTED' AND NOT m.deleted
) AS d;

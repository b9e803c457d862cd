-- The consumer writes event_log, customer_milestones and reminders on every batch, and each
-- index of a table costs every row written (every update of a row too, when it changes an
-- indexed column). Indexes no read needs, or entries no read can match, are dropped.
-- depends: 0004_first_replies

-- Nothing reads the log by event id, and an event can reach it only once: the runtime claims
-- (account_id, event_id) in processed_events in the transaction that appends it, and
-- processed_events is never purged (a rebuild empties both).
ALTER TABLE event_log DROP CONSTRAINT event_log_pkey;

-- Each milestone is read only within a range of instants, which no row without it matches:
-- most customers never sign up, and those with no DM or qualification yet have no cohort.
DROP INDEX customer_milestones_created;
DROP INDEX customer_milestones_cohort;
DROP INDEX customer_milestones_signing;
CREATE INDEX customer_milestones_created ON customer_milestones (account_id, created_at)
    WHERE created_at IS NOT NULL;
CREATE INDEX customer_milestones_cohort ON customer_milestones (account_id, cohort_at)
    WHERE cohort_at IS NOT NULL;
CREATE INDEX customer_milestones_signing ON customer_milestones (account_id, first_signing_at)
    WHERE first_signing_at IS NOT NULL;

-- The reminders scheduled within the grace at as_of are counted from the open ones
-- (reminders_open) and those closed after as_of (reminders_closed), as the other counts are.
DROP INDEX reminders_scheduled;

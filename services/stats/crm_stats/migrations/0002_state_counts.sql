-- Keeping the dashboard's reads off full scans of a large account's customers.
-- depends: 0001_stats_store

-- Live customers per pipeline state, kept by the consumer as each customer's state moves.
CREATE TABLE state_counts (
    account_id    text    NOT NULL,
    status        text    NOT NULL,
    booking_state text    NOT NULL,
    joined_team   boolean NOT NULL,
    opted_out     boolean NOT NULL,
    customers     integer NOT NULL,
    PRIMARY KEY (account_id, status, booking_state, joined_team, opted_out)
);

-- Open-stage live customers, by next action date and by last activity.
CREATE INDEX customer_milestones_next_action
    ON customer_milestones (account_id, next_action_date)
    WHERE NOT deleted
      AND status IN ('lead', 'relationship', 'invited', 'qualified', 'presentation_sent',
                     'follow_up');
CREATE INDEX customer_milestones_active
    ON customer_milestones (account_id, last_activity_at)
    WHERE NOT deleted AND NOT opted_out
      AND status IN ('lead', 'relationship', 'invited', 'qualified', 'presentation_sent',
                     'follow_up');

-- Reminders open now; those closed after a past as_of are found by closed_at.
CREATE INDEX reminders_open ON reminders (account_id, scheduled_for) INCLUDE (opened_at)
    WHERE closed_at IS NULL;
CREATE INDEX reminders_closed ON reminders (account_id, closed_at) WHERE closed_at IS NOT NULL;

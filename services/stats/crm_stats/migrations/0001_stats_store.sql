-- The stats store: the event log, per-customer milestones, DMO days, reminders, ticker queue.
-- depends:

-- Every envelope the account produced, queryable by type, customer and time.
CREATE TABLE event_log (
    account_id  text        NOT NULL,
    event_id    text        NOT NULL,
    event_name  text        NOT NULL,
    ts          timestamptz NOT NULL,
    customer_id uuid,
    -- The period count the event moves (crm_stats.milestones.Tally), if any.
    tally       text,
    -- The envelope as published (JSON text: written by COPY, returned as is).
    envelope    text        NOT NULL,
    PRIMARY KEY (account_id, event_id)
);
CREATE INDEX event_log_by_time ON event_log (account_id, ts DESC, event_id DESC);
CREATE INDEX event_log_by_name ON event_log (account_id, event_name, ts DESC, event_id DESC);
CREATE INDEX event_log_by_customer
    ON event_log (account_id, customer_id, event_name, ts DESC, event_id DESC);
CREATE INDEX event_log_tallies ON event_log (account_id, ts) INCLUDE (tally)
    WHERE tally IS NOT NULL;

-- One row per customer: earliest instants (merged with LEAST, so arrival order does not
-- matter), the latest activity, and the state the customers service announced last.
CREATE TABLE customer_milestones (
    account_id        text        NOT NULL,
    customer_id       uuid        NOT NULL,
    created_at        timestamptz,
    cohort_at         timestamptz,
    qualified_at      timestamptz,
    presented_at      timestamptz,
    signed_up_at      timestamptz,
    first_signing_at  timestamptz,
    booked_at         timestamptz,
    held_at           timestamptz,
    no_show_at        timestamptz,
    bookings          timestamptz[] NOT NULL DEFAULT '{}',
    no_shows          timestamptz[] NOT NULL DEFAULT '{}',
    last_activity_at  timestamptz,
    status            text,
    booking_state     text,
    joined_team       boolean,
    opted_out         boolean,
    next_action_date  timestamptz,
    name              text,
    deleted           boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, customer_id)
);
CREATE INDEX customer_milestones_created ON customer_milestones (account_id, created_at);
CREATE INDEX customer_milestones_cohort ON customer_milestones (account_id, cohort_at);
CREATE INDEX customer_milestones_signing ON customer_milestones (account_id, first_signing_at);

-- Invites and follow-ups per local day of the account (its time zone).
CREATE TABLE dmo_days (
    account_id text    NOT NULL,
    day        date    NOT NULL,
    invites    integer NOT NULL DEFAULT 0,
    follow_ups integer NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);

-- Reminders from REMINDER_* events; open at as_of when opened_at <= as_of < closed_at.
CREATE TABLE reminders (
    account_id    text        NOT NULL,
    reminder_id   uuid        NOT NULL,
    customer_id   uuid        NOT NULL,
    type          text        NOT NULL,
    scheduled_for timestamptz NOT NULL,
    status        text        NOT NULL,
    completed_by  text,
    opened_at     timestamptz NOT NULL,
    closed_at     timestamptz,
    PRIMARY KEY (account_id, reminder_id)
);
CREATE INDEX reminders_scheduled ON reminders (account_id, scheduled_for);

-- Ticker items written with the batch, appended to Redis after the commit by the relay.
CREATE TABLE ticker_pending (
    seq        bigserial PRIMARY KEY,
    account_id text      NOT NULL,
    item_id    text      NOT NULL,
    item       jsonb     NOT NULL
);

-- The NBA service's own state: each customer's journal, projection and recommendation,
-- the DMO events it counts, and the coaching prompts it has emitted.
-- depends:

-- Every event a customer's projection depends on, in arrival order (seq), so a late
-- event re-projects the customer from all of them.
CREATE TABLE nba_journal (
    account_id  text        NOT NULL,
    customer_id uuid        NOT NULL,
    event_id    text        NOT NULL,
    seq         bigserial   NOT NULL,
    event       jsonb       NOT NULL,
    PRIMARY KEY (account_id, customer_id, event_id)
);
CREATE INDEX nba_journal_in_arrival_order ON nba_journal (account_id, customer_id, seq);

-- One row per customer: the projection, the stored recommendation, and the interval
-- [valid_from, next_change_at) in which that recommendation holds without a new event.
CREATE TABLE nba_customers (
    account_id       text        NOT NULL,
    customer_id      uuid        NOT NULL,
    projection       jsonb       NOT NULL,
    recommendation   jsonb       NOT NULL,
    action           text        NOT NULL,
    priority         smallint    NOT NULL,
    due_at           timestamptz,
    last_activity_at timestamptz,
    booking_state    text        NOT NULL,
    deleted          boolean     NOT NULL DEFAULT false,
    valid_from       timestamptz,
    next_change_at   timestamptz,
    computed_at      timestamptz NOT NULL,
    -- The "who next" order (priority desc, due_at asc nulls last, last activity asc nulls
    -- last, customer id) as ascending non-null columns, so one index serves keyset pages.
    neg_priority     smallint    GENERATED ALWAYS AS (-priority) STORED,
    due_sort         timestamptz GENERATED ALWAYS AS
                         (coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)) STORED,
    activity_sort    timestamptz GENERATED ALWAYS AS
                         (coalesce(last_activity_at, '9999-12-31 00:00:00+00'::timestamptz)) STORED,
    PRIMARY KEY (account_id, customer_id)
);
CREATE INDEX nba_who_next ON nba_customers
    (account_id, neg_priority, due_sort, activity_sort, customer_id) WHERE priority > 0;
CREATE INDEX nba_timer ON nba_customers (next_change_at) WHERE next_change_at IS NOT NULL;
CREATE INDEX nba_validity ON nba_customers (account_id, next_change_at);
CREATE INDEX nba_validity_start ON nba_customers (account_id, valid_from);
CREATE INDEX nba_no_shows ON nba_customers (account_id) WHERE booking_state = 'no_show';

-- DMO counts: each invite or follow-up once, at its instant.
CREATE TABLE nba_dmo_events (
    account_id text        NOT NULL,
    event_id   text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('invite', 'follow_up')),
    at         timestamptz NOT NULL,
    PRIMARY KEY (account_id, event_id)
);
CREATE INDEX nba_dmo_events_by_time ON nba_dmo_events (account_id, at);

-- Each coaching kind at most once per local day.
CREATE TABLE nba_coaching_emitted (
    account_id text        NOT NULL,
    local_date date        NOT NULL,
    kind       text        NOT NULL,
    text       text        NOT NULL,
    emitted_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, local_date, kind)
);

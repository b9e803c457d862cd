-- The customers service's own tables: customers, their stored facts, interactions.
-- depends:

CREATE TABLE customers (
    account_id              text        NOT NULL,
    id                      uuid        NOT NULL,
    name                    text,
    email                   text,
    phone                   text,
    handles                 jsonb       NOT NULL DEFAULT '{}',
    source                  text,
    country                 text,
    language                text,
    notes                   text,
    prospect_why            text,
    -- What the card shows, and the two things it is chosen from (policy.shown_next_action).
    next_action             text,
    next_action_date        timestamptz,
    person_next_action      text,
    person_next_action_date timestamptz,
    nba_title               text,
    nba_due_at              timestamptz,
    consent                 jsonb,
    utm                     jsonb,
    -- The pipeline state (a fold of customer_facts), with the parts lists filter on.
    status                  text        NOT NULL,
    booking                 jsonb       NOT NULL,
    joined_team             boolean     NOT NULL,
    opted_out               boolean     NOT NULL,
    last_activity_at        timestamptz,
    -- The latest applied fact's (timestamp, event_id): an older one is late and re-folds.
    latest_fact_at          timestamptz,
    latest_fact_id          text,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE INDEX customers_by_created ON customers (account_id, created_at, id);
CREATE INDEX customers_by_status ON customers (account_id, status);

CREATE TABLE customer_facts (
    account_id   text        NOT NULL,
    customer_id  uuid        NOT NULL,
    event_id     text        NOT NULL,
    entry        jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, customer_id, event_id)
);

CREATE TABLE interactions (
    account_id    text        NOT NULL,
    id            uuid        NOT NULL,
    customer_id   uuid        NOT NULL,
    type          text        NOT NULL,
    content       text,
    occurred_at   timestamptz NOT NULL,
    scheduled_for timestamptz,
    completed     boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE INDEX interactions_by_customer ON interactions (account_id, customer_id, occurred_at, id);
CREATE INDEX interactions_upcoming ON interactions (account_id, scheduled_for, id)
    WHERE NOT completed AND scheduled_for IS NOT NULL;

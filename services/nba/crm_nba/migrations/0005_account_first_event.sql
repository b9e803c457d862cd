-- Each account's earliest event the NBA has seen: a streak reaches back no further than its
-- local day, however long targets of 0 were in force (docs/domain.md, DMO). Filled from what
-- the service already keeps, then kept by the consumer.
-- depends: 0004_customer_fold

CREATE TABLE nba_account_first_event (
    account_id text        PRIMARY KEY,
    at         timestamptz NOT NULL
);

INSERT INTO nba_account_first_event (account_id, at)
SELECT account_id, min(at)
FROM (
    SELECT account_id, (event::jsonb ->> 'timestamp')::timestamptz AS at FROM nba_journal
    UNION ALL
    SELECT account_id, at FROM nba_dmo_events
) AS seen
GROUP BY account_id;

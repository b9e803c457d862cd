-- Every batch rewrites its customers' rows, and a rewrite that changes an indexed column
-- (priority, due_at, last activity, next_change_at, valid_from) adds an entry to every index
-- of the table, so each index costs every upsert.
--
-- nba_validity_start (account_id, valid_from) served only `valid_from > as_of` (a read in the
-- past), which no row without a valid_from matches: a customer no threshold has passed for
-- yet, as most are while their events are fresh, needs no entry.
--
-- nba_validity (account_id, next_change_at) stays although nba_timer holds the same rows by
-- next_change_at alone: the who-next read at a later as_of through nba_timer would walk every
-- account's customers due by then, a cost that grows with the other accounts.
-- depends: 0005_account_first_event

DROP INDEX nba_validity_start;
CREATE INDEX nba_validity_start ON nba_customers (account_id, valid_from)
    WHERE valid_from IS NOT NULL;

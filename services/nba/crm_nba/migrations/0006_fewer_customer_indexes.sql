-- Every batch rewrites its customers' rows, and a rewrite that changes an indexed column
-- (priority, due_at, last activity, next_change_at, valid_from) adds an entry to every index
-- of the table, so each index costs every upsert. Two of them did little a third did not:
--
-- nba_validity (account_id, next_change_at) served only the who-next read's customers whose
-- stored answer stopped holding by as_of (next_change_at <= as_of). nba_timer holds the same
-- rows by next_change_at alone: the read takes those due by as_of from it and keeps the
-- account's. At as_of now that is the few the timer has not recomputed yet.
--
-- nba_validity_start (account_id, valid_from) served only `valid_from > as_of` (a read in the
-- past), which no row without a valid_from matches: a customer no threshold has passed for
-- yet, as most are while their events are fresh, needs no entry.
-- depends: 0005_account_first_event

DROP INDEX nba_validity;
DROP INDEX nba_validity_start;
CREATE INDEX nba_validity_start ON nba_customers (account_id, valid_from)
    WHERE valid_from IS NOT NULL;

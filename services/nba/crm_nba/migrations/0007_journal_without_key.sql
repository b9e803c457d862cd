-- The journal is appended on every batch and read only per customer in arrival order
-- (nba_journal_in_arrival_order). Its primary key served no read; it kept an event from
-- being journaled twice, which the runtime already does: it claims (account_id, event_id) in
-- processed_events in the transaction that appends it, and processed_events is never purged
-- (a rebuild empties both). Without it, each journaled event is one index entry, not two.
-- depends: 0006_fewer_customer_indexes

ALTER TABLE nba_journal DROP CONSTRAINT nba_journal_pkey;

-- The journal is only ever written whole and read back whole (as text, parsed by the
-- service): stored as text it skips PostgreSQL's jsonb parsing on every insert and the
-- conversion back on every read.
-- depends: 0001_nba

ALTER TABLE nba_journal ALTER COLUMN event TYPE text USING event::text;

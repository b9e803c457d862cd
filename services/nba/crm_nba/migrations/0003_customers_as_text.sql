-- A customer's projection and recommendation are always written and read whole (the who-next
-- page serves the stored recommendation's text as it is): as text they skip PostgreSQL's
-- jsonb parsing on every upsert, and the service parses them with pydantic's JSON parser.
-- depends: 0002_journal_as_text

ALTER TABLE nba_customers
    ALTER COLUMN projection TYPE text USING projection::text,
    ALTER COLUMN recommendation TYPE text USING recommendation::text;

-- Which account a customer id belongs to, found without knowing the account: a person naming
-- another account's customer in a new reminder is refused ("unknown customer").
-- depends: 0001_rules

CREATE INDEX customer_events_by_customer_id ON customer_events (customer_id);
CREATE INDEX reminders_by_customer_id ON reminders (customer_id);

-- Every write of a reminder changes an indexed column (status, scheduled_for), so no update is
-- HOT and each write adds an entry to every index of the table: seven made the consumer's
-- reminder upsert its most expensive statement. Three of them add nothing another gives:
-- - reminders_open_by_time (account, scheduled_for, id) for open ones: reminders_by_status
--   (account, status, scheduled_for, id) gives the open ones in the same order;
-- - reminders_by_customer and reminders_open_by_customer (account, customer): a customer's
--   reminders are found by reminders_by_customer_id (customer), the account checked on the
--   few rows a customer id has (tests/rules/test_reminder_indexes.py keeps those reads on an
--   index).
-- depends: 0005_snapshot_settings_version

DROP INDEX reminders_open_by_time;
DROP INDEX reminders_by_customer;
DROP INDEX reminders_open_by_customer;

-- The relay deletes a row once Kafka acknowledged it (crm_servicekit.outbox): every row left is
-- one to send, in id order by the primary key. The rows kept as sent go now; the mark, and the
-- partial index of unsent rows that kept every mark from being a HOT update, go with them.
-- depends: servicekit_0005_outbox_trace_context

DELETE FROM outbox WHERE sent_at IS NOT NULL;
DROP INDEX IF EXISTS outbox_unsent;
ALTER TABLE outbox DROP COLUMN IF EXISTS sent_at;

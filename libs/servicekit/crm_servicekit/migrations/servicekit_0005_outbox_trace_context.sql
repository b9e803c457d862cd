-- The W3C trace context of the change that enqueued each row, published with it as Kafka
-- headers so that its consumers continue that trace. NULL when tracing was off.
-- depends: servicekit_0003_outbox

ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent text;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS tracestate text;

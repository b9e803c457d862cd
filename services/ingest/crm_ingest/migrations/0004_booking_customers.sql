-- The customer each booking-tool booking was resolved to (docs/connectors.md, booking links):
-- a booking's later deliveries (a cancellation, a no-show, a reschedule) often carry only the
-- invitee's own email, which ingest may not link to that customer (one email per customer),
-- so they find the customer by the booking instead. `booking` is one person's booking as the
-- connector names it: `calendly:<invitee uri>`, `calcom:<uid>:<SHA-256 of the booker's email>`
-- (a Cal.com booking's guests share its uid). The first resolution of a booking wins.
-- depends: 0003_one_value_per_kind

CREATE TABLE IF NOT EXISTS booking_customers (
    account_id  text        NOT NULL,
    booking     text        NOT NULL,
    customer_id uuid        NOT NULL,
    booked_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, booking)
);

-- One value of each kind per customer (docs/domain.md, customers and identity): at most one
-- email, one phone (each with its hash) and one handle per platform linked to a customer.
-- depends: 0002_deliveries

-- Customers linked to several values of a kind before this rule keep the earliest-linked one
-- (with its hash); the others are released, so the index below can be built.
WITH single AS (
    SELECT account_id, kind, value, customer_id, linked_at,
        CASE
            WHEN kind IN ('email', 'email_sha256') THEN 'email'
            WHEN kind IN ('phone', 'phone_sha256') THEN 'phone'
            ELSE 'handle:' || split_part(value, ':', 1)
        END AS slot,
        -- An email or phone and its hash are one value (crm_schemas.identity's hashes).
        CASE kind
            WHEN 'email' THEN encode(sha256(convert_to(value, 'UTF8')), 'hex')
            WHEN 'phone' THEN encode(sha256(convert_to(ltrim(value, '+'), 'UTF8')), 'hex')
            ELSE value
        END AS print
    FROM identities
    WHERE kind IN ('email', 'email_sha256', 'phone', 'phone_sha256', 'handle')
),
kept AS (
    SELECT DISTINCT ON (account_id, customer_id, slot) account_id, customer_id, slot, print
    FROM single
    ORDER BY account_id, customer_id, slot, linked_at, kind, value
)
DELETE FROM identities i
USING single s
JOIN kept k ON k.account_id = s.account_id AND k.customer_id = s.customer_id AND k.slot = s.slot
WHERE i.account_id = s.account_id AND i.kind = s.kind AND i.value = s.value
  AND s.print <> k.print;

-- Two links of another value of a kind to one customer at once meet here: the loser's
-- transaction runs again and sees the winner's.
CREATE UNIQUE INDEX IF NOT EXISTS identities_one_per_customer
    ON identities (account_id, customer_id, kind)
    WHERE kind IN ('email', 'email_sha256', 'phone', 'phone_sha256');
CREATE UNIQUE INDEX IF NOT EXISTS identities_one_handle_per_platform
    ON identities (account_id, customer_id, split_part(value, ':', 1))
    WHERE kind = 'handle';

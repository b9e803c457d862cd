-- Where folding a customer's events stands (crm_nba.projection.Fold), so a batch of later
-- events continues it instead of reading and folding the customer's whole journal again.
-- Nullable and without a default: adding it rewrites nothing. A row without one is folded
-- from its journal the next time it is recomputed, and gets one then.
-- depends: 0003_customers_as_text

ALTER TABLE nba_customers ADD COLUMN fold text;

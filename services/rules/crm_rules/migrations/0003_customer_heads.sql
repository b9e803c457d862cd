-- Each customer's head: a new random value whenever their events or reminders are written, so a
-- consumer that kept a customer's replay in memory knows it still stands for the stored rows
-- (crm_rules.service.replays). A missing row matches nothing kept.
-- depends: 0002_customer_owner

CREATE TABLE customer_heads (
    account_id  text NOT NULL,
    customer_id uuid NOT NULL,
    head        uuid NOT NULL,
    PRIMARY KEY (account_id, customer_id)
);

-- A replay snapshot also stands for the account's settings history it was made under
-- (crm_rules.policy.automation.settings_version: how many ACCOUNT_SETTINGS_CHANGED the account
-- had); one made under another history is not continued. Snapshots written before settings
-- were kept were made with the accounts file's values, the history of no change: version 0.
-- depends: 0004_replay_snapshots

ALTER TABLE replay_snapshots ADD COLUMN settings_version integer NOT NULL DEFAULT 0;

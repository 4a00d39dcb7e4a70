-- Up Migration

-- Speed of service: a shop's targets for the two stages around its preparation time
-- (prep_target_seconds): from reaching the kitchen to started, and from ready to handed over
-- (collected, or taken by the driver). NULL: the chain's (3 and 10 minutes). A day's orders of a
-- shop are read through the (pizzeria_id, business_day, number) key.
ALTER TABLE pizzerias
  ADD COLUMN start_target_seconds integer CHECK (start_target_seconds BETWEEN 60 AND 3600),
  ADD COLUMN handover_target_seconds integer CHECK (handover_target_seconds BETWEEN 60 AND 7200);

-- Down Migration

ALTER TABLE pizzerias DROP COLUMN handover_target_seconds, DROP COLUMN start_target_seconds;

-- Up Migration

-- A shop's settings kept in the back office: the switch a manager flips to pause online orders
-- during a rush, and its own target preparation time (empty: PREP_TARGET_SECONDS). A change of a
-- shop tells every hub (shop_changed), which tells the open storefronts and screens at once.
ALTER TABLE pizzerias
  ADD COLUMN online_paused boolean NOT NULL DEFAULT false,
  ADD COLUMN prep_target_seconds integer CHECK (prep_target_seconds BETWEEN 60 AND 7200);

CREATE FUNCTION pizzerias_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('shop_changed', NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER pizzerias_changed_notify AFTER INSERT OR UPDATE ON pizzerias FOR EACH ROW EXECUTE FUNCTION pizzerias_changed_notify();

-- Down Migration

DROP TRIGGER pizzerias_changed_notify ON pizzerias;
DROP FUNCTION pizzerias_changed_notify();
ALTER TABLE pizzerias DROP COLUMN prep_target_seconds, DROP COLUMN online_paused;

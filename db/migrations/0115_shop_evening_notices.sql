-- Up Migration

-- A shop's drivers changed without an order event: a shift started or ended, a driver lent to
-- another shop or back, made inactive, renamed, moved to another shop. Postgres tells the workers
-- process that computes the shops' evenings (`shop_evening`: the shops concerned, comma-separated;
-- workers/evening-owner.ts), which computes those shops again and publishes what changed. Rare
-- writes: the notification's commit-time lock costs nothing an evening would notice.
CREATE FUNCTION shop_evening_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  shops int[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    shops := ARRAY[coalesce(NEW.lent_to, NEW.pizzeria_id)];
  ELSE
    shops := ARRAY[coalesce(OLD.lent_to, OLD.pizzeria_id), coalesce(NEW.lent_to, NEW.pizzeria_id), OLD.pizzeria_id, NEW.pizzeria_id];
  END IF;
  PERFORM pg_notify('shop_evening', string_agg(DISTINCT s::text, ',')) FROM unnest(shops) s WHERE s IS NOT NULL HAVING count(s) > 0;
  RETURN NULL;
END $$;

CREATE TRIGGER users_shop_evening AFTER INSERT ON users FOR EACH ROW
  WHEN (NEW.role = 'driver')
  EXECUTE FUNCTION shop_evening_notify();
CREATE TRIGGER users_shop_evening_change AFTER UPDATE OF on_shift, lent_to, active, pizzeria_id, name, role ON users FOR EACH ROW
  WHEN ((OLD.role = 'driver' OR NEW.role = 'driver') AND (OLD.on_shift, OLD.lent_to, OLD.active, OLD.pizzeria_id, OLD.name, OLD.role)
        IS DISTINCT FROM (NEW.on_shift, NEW.lent_to, NEW.active, NEW.pizzeria_id, NEW.name, NEW.role))
  EXECUTE FUNCTION shop_evening_notify();

-- Down Migration

DROP TRIGGER users_shop_evening_change ON users;
DROP TRIGGER users_shop_evening ON users;
DROP FUNCTION shop_evening_notify();

-- Up Migration

-- A driver's money changed: a delivery of theirs made, a tip shared to them (or its status moved:
-- paid, refunded), their shop's pay rule set. Postgres tells every hub (`driver_money`:
-- 'driver:<user id>' or 'shop:<shop id>'), each hub tells the driver's phone on its own sockets
-- (server/driver-money.ts), and the phone reads its earnings and tips again: the money follows the
-- evening without a reload, whichever path wrote it.
CREATE FUNCTION driver_money_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'driver_pay_rules' THEN
    PERFORM pg_notify('driver_money', 'shop:' || NEW.pizzeria_id);
  ELSIF TG_TABLE_NAME = 'tip_shares' THEN
    PERFORM pg_notify('driver_money', 'driver:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.driver_id ELSE NEW.driver_id END);
  ELSIF TG_TABLE_NAME = 'tips' THEN
    PERFORM pg_notify('driver_money', 'driver:' || s.driver_id) FROM tip_shares s WHERE s.tip_id = NEW.id;
  ELSE
    PERFORM pg_notify('driver_money', 'driver:' || NEW.driver_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER driver_pay_rules_money AFTER INSERT OR UPDATE ON driver_pay_rules FOR EACH ROW EXECUTE FUNCTION driver_money_notify();
CREATE TRIGGER tip_shares_money AFTER INSERT OR UPDATE OR DELETE ON tip_shares FOR EACH ROW EXECUTE FUNCTION driver_money_notify();
CREATE TRIGGER tips_money AFTER UPDATE OF status ON tips FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION driver_money_notify();
-- a delivery made: its pay, its kilometres
CREATE TRIGGER orders_driver_money AFTER UPDATE OF status ON orders FOR EACH ROW
  WHEN (NEW.status = 'delivered' AND OLD.status IS DISTINCT FROM NEW.status AND NEW.driver_id IS NOT NULL)
  EXECUTE FUNCTION driver_money_notify();

-- Down Migration

DROP TRIGGER orders_driver_money ON orders;
DROP TRIGGER tips_money ON tips;
DROP TRIGGER tip_shares_money ON tip_shares;
DROP TRIGGER driver_pay_rules_money ON driver_pay_rules;
DROP FUNCTION driver_money_notify();

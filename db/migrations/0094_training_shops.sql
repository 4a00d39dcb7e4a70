-- Up Migration

-- Training (mode formation): a shop opened for training takes orders like any other (its counter,
-- its kitchen, its drivers), but nothing it sells is a sale. Its orders are marked `training` from
-- the moment they are placed; the fiscal journal never writes them in a shop's chain nor in any
-- total (src/lib/server/fiscal/order-facts.ts, HAS_MONEY), each one handed over is a
-- `training_sale` in the technical events journal, and its tickets say FACTICE. Whether a shop is a
-- training shop is said when it is opened and never changes, nor does an order's mark: a real
-- shop's sales cannot be turned into training ones, nor the other way.
ALTER TABLE pizzerias ADD COLUMN training boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN training boolean NOT NULL DEFAULT false;

CREATE FUNCTION training_of_shop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.training := (SELECT training FROM pizzerias WHERE id = NEW.pizzeria_id);
  RETURN NEW;
END $$;
CREATE TRIGGER orders_training BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION training_of_shop();

CREATE FUNCTION training_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.training IS DISTINCT FROM OLD.training THEN
    RAISE EXCEPTION 'whether % is for training is set once: it does not change', TG_TABLE_NAME;
  END IF;
  IF TG_TABLE_NAME = 'orders' AND NEW.pizzeria_id IS DISTINCT FROM OLD.pizzeria_id
     AND (SELECT training FROM pizzerias WHERE id = NEW.pizzeria_id) IS DISTINCT FROM NEW.training THEN
    RAISE EXCEPTION 'an order moves between shops of its kind only (training or not)';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pizzerias_training_kept BEFORE UPDATE OF training ON pizzerias FOR EACH ROW EXECUTE FUNCTION training_kept();
CREATE TRIGGER orders_training_kept BEFORE UPDATE OF training, pizzeria_id ON orders FOR EACH ROW EXECUTE FUNCTION training_kept();

-- Down Migration
DROP TRIGGER orders_training_kept ON orders;
DROP TRIGGER pizzerias_training_kept ON pizzerias;
DROP FUNCTION training_kept();
DROP TRIGGER orders_training ON orders;
DROP FUNCTION training_of_shop();
ALTER TABLE orders DROP COLUMN training;
ALTER TABLE pizzerias DROP COLUMN training;

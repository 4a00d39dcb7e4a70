-- Up Migration

-- A staff account's name, e-mail, role or shop (its own, or the one it is lent to) changed: Postgres
-- tells every hub (`session_user`: the account's id), which drops what it keeps of that account's
-- sessions (src/lib/server/staff/auth.ts), so the API judges the account's next request by what the
-- account is now. Rare writes (a manager's edit, a driver lent or back).
CREATE FUNCTION session_user_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_user', NEW.id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER users_session_user AFTER UPDATE OF email, name, role, pizzeria_id, lent_to ON users FOR EACH ROW
  WHEN ((OLD.email, OLD.name, OLD.role, OLD.pizzeria_id, OLD.lent_to) IS DISTINCT FROM (NEW.email, NEW.name, NEW.role, NEW.pizzeria_id, NEW.lent_to))
  EXECUTE FUNCTION session_user_notify();

-- Down Migration

DROP TRIGGER users_session_user ON users;
DROP FUNCTION session_user_notify();

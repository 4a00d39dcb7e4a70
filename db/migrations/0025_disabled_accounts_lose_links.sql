-- Up Migration

-- a disabled account keeps no session, and no invitation or reset link: a link mailed before it
-- was disabled must not open it again once it is enabled (its owner asks for a new one)
CREATE OR REPLACE FUNCTION users_disabled_end_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.active AND NOT NEW.active THEN
    DELETE FROM sessions WHERE user_id = NEW.id;
    DELETE FROM account_tokens WHERE user_id = NEW.id AND used_at IS NULL;
  END IF;
  RETURN NULL;
END $$;

-- Up Migration

-- a session that ends (logout, housekeeping, a disabled account) tells the hubs, which close that
-- session's sockets at once: its screens stop receiving customer details the moment it ends
CREATE FUNCTION sessions_ended_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_ended', OLD.id);
  RETURN NULL;
END $$;
CREATE TRIGGER sessions_ended_notify AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION sessions_ended_notify();

-- a disabled account keeps no session
CREATE FUNCTION users_disabled_end_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.active AND NOT NEW.active THEN
    DELETE FROM sessions WHERE user_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER users_disabled_end_sessions AFTER UPDATE OF active ON users FOR EACH ROW EXECUTE FUNCTION users_disabled_end_sessions();

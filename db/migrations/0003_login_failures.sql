-- Up Migration

-- failed logins, counted per email and address by the login service (the API and the login page alike)
CREATE TABLE login_failures (
  id     bigserial PRIMARY KEY,
  email  text NOT NULL,
  ip     text NOT NULL,
  at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_lookup ON login_failures (email, ip, at);

-- Up Migration

-- Staff accounts made in the back office: a new account has no password until its owner follows
-- the invitation link and chooses one; a forgotten password is reset the same way. A link works
-- once, for a limited time; the database keeps only the HMAC of its token.
ALTER TABLE users ADD COLUMN password_set_at timestamptz;
UPDATE users SET password_set_at = created_at;

CREATE TABLE account_tokens (
  id          text PRIMARY KEY,
  user_id     integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('invite', 'reset')),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_by  integer REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_tokens_user ON account_tokens (user_id);

-- Down Migration

DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN password_set_at;

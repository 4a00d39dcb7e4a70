-- Up Migration

-- A once-per-customer code is used by a signed-in customer, and stays used by them after they erase
-- their account: the use keeps keyed hashes (HMAC with the server's secret) of the contacts the
-- account had proved, each in its one canonical form, never the contacts themselves. Without the
-- secret they name nobody; with it, the same email or phone signing in again is known to have used
-- the code. Uses made before this keep their account, phone and email keys as before (erased with them).
ALTER TABLE promo_redemptions ADD COLUMN contact_hashes text[] NOT NULL DEFAULT '{}';

-- Down Migration

ALTER TABLE promo_redemptions DROP COLUMN contact_hashes;

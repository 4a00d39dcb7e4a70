-- Up Migration

-- A store on a platform is not ours to run until the platform says so. Uber Eats activates an
-- integration for a store when one of its merchant's users authorizes the app (OAuth authorization
-- code, scope eats.pos_provisioning) and the app then sets itself as the store's order manager
-- (POST /v1/eats/stores/{store_id}/pos_data, is_order_manager): before that, every accept of an
-- order is refused (403) and Uber cancels the order. The back office shows each store's state.
ALTER TABLE marketplace_stores
  -- when the platform last confirmed the integration (the activation's answer, store.provisioned)
  ADD COLUMN activated_at timestamptz,
  -- whether the platform has this app accept, deny and cancel the store's orders
  ADD COLUMN order_manager boolean NOT NULL DEFAULT false,
  -- the platform took the integration away (store.deprovisioned): orders are no longer ours to accept
  ADD COLUMN deprovisioned_at timestamptz;

-- When the platform took our accept of an order: an order reaches the make line only after it, and
-- a manager's later decision neither accepts it twice nor denies an order the platform holds as
-- accepted (it is cancelled instead).
ALTER TABLE marketplace_orders ADD COLUMN platform_accepted_at timestamptz;

-- A merchant's authorization while head office chooses which of its stores to activate: the user's
-- access token (short-lived, scope eats.pos_provisioning), the stores it may activate, and who asked.
-- Deleted once used or expired; never in a backup's interest to keep (the token expires).
CREATE TABLE marketplace_authorizations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  marketplace  text NOT NULL CHECK (marketplace ~ '^[a-z_]+$'),
  access_token text NOT NULL,
  stores       jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_by   integer NOT NULL REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

-- Down Migration
DROP TABLE marketplace_authorizations;
ALTER TABLE marketplace_orders DROP COLUMN platform_accepted_at;
ALTER TABLE marketplace_stores DROP COLUMN deprovisioned_at, DROP COLUMN order_manager, DROP COLUMN activated_at;

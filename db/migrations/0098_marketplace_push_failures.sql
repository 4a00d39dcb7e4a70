-- Up Migration

-- What a platform refused or never answered when told of a shop (a sold-out, the shop's levers, its
-- menu): kept from the first failure until a later push of the same kind succeeds, so the shop's
-- managers see an alert ("Deliveroo has not heard of the sold-outs since 19:42") while the workers
-- try again. A 404 or a 5xx is never taken as "nothing to do".
CREATE TABLE marketplace_push_failures (
  marketplace      text NOT NULL,
  pizzeria_id      integer NOT NULL REFERENCES pizzerias(id) ON DELETE CASCADE,
  what             text NOT NULL CHECK (what IN ('availability', 'status', 'menu')),
  error            text NOT NULL,
  http_status      integer,
  attempts         integer NOT NULL DEFAULT 1,
  first_failed_at  timestamptz NOT NULL DEFAULT now(),
  last_failed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (marketplace, pizzeria_id, what)
);

-- Down Migration
DROP TABLE marketplace_push_failures;

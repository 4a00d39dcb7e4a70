-- Up Migration

-- A card saved for an order far ahead lives on a customer of the payment provider made for it
-- (orders.card_customer_id: a Stripe Customer with the customer's name and phone). Erasing an
-- account (RGPD art. 17) deletes those customers at the provider too. The erasure writes here, in
-- its own transaction, which provider customers are to go, and the workers delete them (a job, and
-- the reconciler for any the queue lost or that failed while the provider was away): a provider
-- down for a moment does not lose an erasure. `deleted_at` says it is done; the row keeps only the
-- provider's id of a deleted customer, which names nobody.
CREATE TABLE provider_customer_erasures (
  customer_ref text PRIMARY KEY,
  asked_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz
);
CREATE INDEX provider_customer_erasures_pending ON provider_customer_erasures (asked_at) WHERE deleted_at IS NULL;

-- Down Migration

DROP TABLE provider_customer_erasures;

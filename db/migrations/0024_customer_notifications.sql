-- Up Migration

-- The customer's language, chosen on the storefront (FR/EN), for the messages sent about the order.
ALTER TABLE orders ADD COLUMN customer_lang text NOT NULL DEFAULT 'fr' CHECK (customer_lang IN ('fr', 'en'));

-- What was sent to the customer, once per order, step and channel: the row is claimed before the
-- message leaves and marked sent after, so a repeated job sends nothing more once it is sent.
CREATE TABLE customer_notifications (
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  step         text NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  status       text NOT NULL CHECK (status IN ('sending', 'sent')),
  -- while a run sends it; released on a failure, so only a run that died leaves it held (for a while)
  claimed_at   timestamptz,
  recipient    text NOT NULL,
  provider_id  text,
  attempts     integer NOT NULL DEFAULT 1,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz,
  PRIMARY KEY (order_id, step, channel)
);

-- Down Migration

DROP TABLE customer_notifications;
ALTER TABLE orders DROP COLUMN customer_lang;

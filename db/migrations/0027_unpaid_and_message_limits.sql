-- Up Migration

-- Who placed an online order (the client's address, its phone as a number to dial), so that orders
-- awaiting payment, and orders sent to one phone or email, are counted per client: unpaid orders
-- hold stock, and every order sends messages to the phone and email it names.
ALTER TABLE orders ADD COLUMN client_address inet, ADD COLUMN phone_key text;
CREATE INDEX orders_awaiting_payment ON orders (pizzeria_id) WHERE status = 'pending_payment';
CREATE INDEX orders_online_by_phone ON orders (phone_key, created_at) WHERE channel = 'online';
CREATE INDEX orders_online_by_email ON orders (lower(customer_email), created_at) WHERE channel = 'online' AND customer_email IS NOT NULL;

-- Messages sent to customers, per destination (an email address, a phone number) and per client
-- address whose orders caused them: a message is counted here before it leaves, and not sent when
-- one of its keys already had its allowance in the last hour. Rows older than a day go with housekeeping.
CREATE TABLE message_sends (
  key  text NOT NULL,
  at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_sends_key ON message_sends (key, at);

-- Down Migration

DROP TABLE message_sends;
DROP INDEX orders_online_by_email;
DROP INDEX orders_online_by_phone;
DROP INDEX orders_awaiting_payment;
ALTER TABLE orders DROP COLUMN phone_key, DROP COLUMN client_address;

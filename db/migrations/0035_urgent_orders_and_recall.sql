-- Up Migration

-- Priority: the manager or the counter marks an order urgent (a customer waiting at the counter, a
-- remake after a mistake); it sorts first on every kitchen screen.
ALTER TABLE orders ADD COLUMN urgent boolean NOT NULL DEFAULT false;

-- Recall: a "ready" bumped by mistake goes back to the oven, within a short window and while
-- nothing depends on it yet (src/lib/domain/recall.ts says when); the only way back is that check.
INSERT INTO order_transitions VALUES ('ready', 'preparing');

-- Down Migration

DELETE FROM order_transitions WHERE (from_status, to_status) = ('ready', 'preparing');
ALTER TABLE orders DROP COLUMN urgent;

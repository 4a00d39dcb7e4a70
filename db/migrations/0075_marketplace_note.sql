-- Up Migration

-- What the platform's customer wrote for the kitchen (the order's note and its lines' notes), shown on
-- the ticket: a platform order carries no phone and no address of ours, but its note is the cook's.
ALTER TABLE orders ADD COLUMN marketplace_note text CHECK (length(marketplace_note) <= 500);

-- Down Migration
ALTER TABLE orders DROP COLUMN marketplace_note;

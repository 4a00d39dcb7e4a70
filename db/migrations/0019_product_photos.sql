-- Up Migration

-- A product's photo: the key of its image in the media store (content-addressed, so a new photo
-- is a new key and the old one may be cached for ever).
ALTER TABLE products ADD COLUMN photo text CHECK (photo ~ '^products/[a-z0-9-]+\.webp$');

-- Down Migration

ALTER TABLE products DROP COLUMN photo;

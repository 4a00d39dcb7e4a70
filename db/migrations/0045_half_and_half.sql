-- Up Migration

-- Half-and-half pizzas. A line of two halves keeps its left half as product_id (its kitchen
-- station and menu section follow it, as any pizza's) and both halves in `halves`:
-- {"left": {"productId", "name", "nameEn"}, "right": {…}}, as they were sold (the kitchen ticket
-- shows them, and each half's recipe reminder). Its `name` is "½ Reine / ½ Margherita", so the
-- receipts, the takings and the messages read it as they read any line. NULL: a whole pizza.
ALTER TABLE order_items
  ADD COLUMN halves jsonb CHECK (halves IS NULL OR (jsonb_typeof(halves -> 'left') = 'object' AND jsonb_typeof(halves -> 'right') = 'object'));

-- How a shop prices a half-and-half (its settings in the back office): as its dearer half, the
-- default, or the average of the two halves rounded up to the cent; the options chosen (a size,
-- extras) are added to it as on any pizza.
ALTER TABLE pizzerias
  ADD COLUMN half_and_half_pricing text NOT NULL DEFAULT 'dearer' CHECK (half_and_half_pricing IN ('dearer', 'average'));

-- Down Migration

ALTER TABLE pizzerias DROP COLUMN half_and_half_pricing;
ALTER TABLE order_items DROP COLUMN halves;

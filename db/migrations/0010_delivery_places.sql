-- Up Migration

-- Where a shop delivers, and when it is open. A shop delivers within a radius of its own door
-- unless a manager has drawn its zone as a polygon ([{lat,lng}, …], which then replaces the radius).
-- Opening hours as the storefront reads them ({"week": {"1": [["11:30","14:30"], …], …},
-- "closedOn": ["2026-12-25"]}); none means open at any hour.
ALTER TABLE pizzerias
  ADD COLUMN delivery_radius_m integer NOT NULL DEFAULT 3000 CHECK (delivery_radius_m BETWEEN 100 AND 30000),
  ADD COLUMN delivery_polygon jsonb CHECK (delivery_polygon IS NULL OR jsonb_typeof(delivery_polygon) = 'array'),
  ADD COLUMN opening_hours jsonb CHECK (opening_hours IS NULL OR jsonb_typeof(opening_hours) = 'object');

-- What the driver needs at the door, how the spot was found (the customer's pin, their phone's
-- position, the geocoder, or taken by staff over the phone), the time promised at checkout, and
-- the PIN the customer reads to the driver as proof of delivery (shown on the tracking page only).
ALTER TABLE orders
  ADD COLUMN door_code text CHECK (length(door_code) <= 20),
  ADD COLUMN floor text CHECK (length(floor) <= 20),
  ADD COLUMN delivery_instructions text CHECK (length(delivery_instructions) <= 300),
  ADD COLUMN location_source text CHECK (location_source IN ('pin', 'device', 'geocoder', 'staff')),
  ADD COLUMN promised_at timestamptz,
  ADD COLUMN delivery_pin text CHECK (delivery_pin ~ '^[0-9]{4}$'),
  ADD CONSTRAINT delivery_pin_only_for_deliveries CHECK (delivery_pin IS NULL OR fulfilment = 'delivery');

-- Down Migration

ALTER TABLE orders DROP CONSTRAINT delivery_pin_only_for_deliveries,
  DROP COLUMN delivery_pin, DROP COLUMN promised_at, DROP COLUMN location_source,
  DROP COLUMN delivery_instructions, DROP COLUMN floor, DROP COLUMN door_code;
ALTER TABLE pizzerias DROP COLUMN opening_hours, DROP COLUMN delivery_polygon, DROP COLUMN delivery_radius_m;

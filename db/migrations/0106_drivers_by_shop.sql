-- Up Migration

-- The drivers a shop has this evening are those it employs and does not lend out, and those lent to
-- it: every read of a shop's drivers (its map, its plan, dispatch, its delivery slots, its figures)
-- says `role = 'driver' AND coalesce(lent_to, pizzeria_id) = <the shop>`. Without an index on that
-- expression each of them read every staff account of the chain: at 500 shops, head office's map
-- read them for each shop every 15 s. The index holds the drivers only (the queries all name the
-- role), keyed by the shop they work for, exactly as the queries write it.
CREATE INDEX users_drivers_by_shop ON users ((coalesce(lent_to, pizzeria_id))) WHERE role = 'driver';

-- Down Migration

DROP INDEX users_drivers_by_shop;

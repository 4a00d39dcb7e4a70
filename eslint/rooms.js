// The rooms of the services (src/lib/server/<room>/), from the floor up. A room imports the rooms
// listed before it and never one after it, so the table is the services' order of floors: a room
// can be read, tested and changed knowing only what lies under it, and no two rooms reach each
// other. The kernel is every room's floor; a feature stands on the kernel and the features it
// names below it; a use case that spans features (placing an order, taking a platform's order,
// reordering, the managers' alerts) is a flow and lives in `flows/`, the top floor, which nothing
// imports. A file of the services lies in a room: one loose in src/lib/server/ is refused, and so
// is a room this table does not list (the project/rooms rule, eslint/plugin.js). Tests beside the
// code are stories, not floors: they may import any room.
//
// - room: the folder's name
// - holds: what the room is (docs/architecture.md lists the same rows)

export const SERVICES = 'src/lib/server';

export const rooms = [
  { room: 'kernel', holds: 'the database, errors, settings, the audit trail, an actor and its rights on a shop, the order as a view, queues and Redis, idempotency keys, sending a mail or a text' },
  { room: 'events', holds: 'publishing order events and following them (the inbox, LISTEN/NOTIFY, the follower)' },
  { room: 'shops', holds: 'the shops and their catalogue, the media library' },
  { room: 'road', holds: 'where things are: geocoding, delivery spots, drivers\' positions, the learned road and kitchen times' },
  { room: 'orders', holds: 'an order\'s life: read, record, lines, limits, place, the placing steps, move, slots, by customer' },
  { room: 'offers', holds: 'promo codes and loyalty points' },
  { room: 'fiscal', holds: 'the fiscal journal: signed chains, the technical events, closings, exports, archives, verification' },
  { room: 'money', holds: 'payments, refunds, receipts, takings, tips, drivers\' cash' },
  { room: 'messages', holds: 'the customers\' e-mails and texts along an order, and their limits' },
  { room: 'customers', holds: 'accounts, callers, contacts, allergies remembered, ratings' },
  { room: 'kitchen', holds: 'the make line\'s plan, stations, lines, recall, promises, speed' },
  { room: 'delivery', holds: 'dispatch and the handover at the door' },
  { room: 'stock', holds: 'ingredients and what runs out' },
  { room: 'menu', holds: 'the back office\'s menu: categories, products, options' },
  { room: 'staff', holds: 'sign-in, staff accounts, the rota, clock-ins, drivers\' pay' },
  { room: 'marketplaces', holds: 'the delivery platforms behind one provider seam: stores, mapping, menus, couriers' },
  { room: 'printing', holds: 'receipt and ticket printers' },
  { room: 'operations', holds: 'backups, maintenance, the database\'s role, the operations screens\' reads' },
  { room: 'flows', holds: 'use cases that span features: placing, reorder, a platform\'s order taken and decided, the shop for a spot, alerts, figures' },
];

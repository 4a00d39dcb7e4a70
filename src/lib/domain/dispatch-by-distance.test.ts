import { describe, expect, it } from 'vitest';
import { bearingDeg, chooseOffer, driverPresence, planTrips, rankDrivers, routeTrip, type DriverState, type OfferCandidate, type ReadyDelivery } from './dispatch-by-distance.ts';

const SHOP = { lat: 48.8532, lng: 2.3692 }; // Bastille
const NEAR = { lat: 48.8555, lng: 2.3710 }; // a few hundred metres away
const FAR = { lat: 48.8867, lng: 2.3431 }; // Montmartre, about 4 km
const MIN = 60_000;
const now = Date.parse('2026-11-22T19:00:00Z');

const driver = (driverId: number, over: Partial<DriverState> = {}): DriverState => ({
  driverId,
  onShift: true,
  activeDeliveries: 0,
  idleSince: 0,
  mode: 'scooter',
  position: null,
  ...over,
});

describe('which driver gets the offer first', () => {
  it('the nearest free driver, then the others by minutes to the shop; none off shift or full', () => {
    const ranked = rankDrivers(
      [
        driver(1, { position: { at: FAR, sentAt: now - 5000 } }),
        driver(2, { position: { at: NEAR, sentAt: now - 5000 } }),
        driver(3, { onShift: false, position: { at: SHOP, sentAt: now } }),
        driver(4, { activeDeliveries: 3, position: { at: SHOP, sentAt: now } }),
      ],
      SHOP,
      { promisedAt: now + 40 * MIN, deliveryMinutes: 10 },
      now,
    );
    expect(ranked.map((r) => r.driverId)).toEqual([2, 1]);
    expect(ranked[0].minutesToShop).toBeLessThan(2);
  });

  it('a stale or missing position counts as ten minutes away', () => {
    const ranked = rankDrivers(
      [driver(1, { position: { at: SHOP, sentAt: now - 2 * MIN } }), driver(2, { position: { at: NEAR, sentAt: now } })],
      SHOP,
      { promisedAt: now + 40 * MIN, deliveryMinutes: 10 },
      now,
    );
    expect(ranked.map((r) => [r.driverId, Math.round(r.minutesToShop)])).toEqual([[2, 1], [1, 10]]);
  });

  it('spreads the load when the order has time, and sends the nearest when it is tight', () => {
    const drivers = [
      driver(1, { activeDeliveries: 1, position: { at: NEAR, sentAt: now } }), // close but already carrying one
      driver(2, { position: { at: { lat: 48.8700, lng: 2.3600 }, sentAt: now } }), // about 2 km, free
    ];
    const relaxed = rankDrivers(drivers, SHOP, { promisedAt: now + 45 * MIN, deliveryMinutes: 10 }, now);
    const tight = rankDrivers(drivers, SHOP, { promisedAt: now + 15 * MIN, deliveryMinutes: 10 }, now);
    expect(relaxed[0].driverId).toBe(2);
    expect(tight[0].driverId).toBe(1);
  });

  it('breaks a tie by who has waited longest', () => {
    const ranked = rankDrivers([driver(1, { idleSince: 200 }), driver(2, { idleSince: 100 })], SHOP, { promisedAt: now + 40 * MIN, deliveryMinutes: 10 }, now);
    expect(ranked.map((r) => r.driverId)).toEqual([2, 1]);
  });
});

describe("the plan's driver first", () => {
  // driver 1 is at the shop, driver 2 about 2 km out: dispatch's own ranking prefers driver 1
  const candidate = (driverId: number, over: Partial<OfferCandidate> = {}): OfferCandidate => ({ ...driver(driverId), present: true, passed: false, ...over });
  const near = candidate(1, { position: { at: SHOP, sentAt: now } });
  const far = candidate(2, { position: { at: { lat: 48.8700, lng: 2.3600 }, sentAt: now } });
  const order = { promisedAt: now + 40 * MIN, deliveryMinutes: 10 };
  const offer = (cs: OfferCandidate[], planned: number | null) => chooseOffer(cs, planned, SHOP, order, now);

  it('offers the order to the driver the plan chose, even when another is nearer', () => {
    expect(rankDrivers([near, far], SHOP, order, now)[0].driverId).toBe(1);
    expect(offer([near, far], 2)).toEqual({ driverId: 2, byPlan: true });
  });

  it('without a plan for it, by the ranking as before', () => {
    expect(offer([near, far], null)).toEqual({ driverId: 1, byPlan: false });
  });

  it("passes over the plan's driver when they cannot take it now: not there, passed on it, off shift, full, or not of the shop tonight", () => {
    expect(offer([near, { ...far, present: false }], 2)).toEqual({ driverId: 1, byPlan: false });
    expect(offer([near, { ...far, passed: true }], 2)).toEqual({ driverId: 1, byPlan: false });
    expect(offer([near, { ...far, onShift: false }], 2)).toEqual({ driverId: 1, byPlan: false });
    expect(offer([near, { ...far, activeDeliveries: 3 }], 2)).toEqual({ driverId: 1, byPlan: false });
    expect(offer([near, far], 9)).toEqual({ driverId: 1, byPlan: false });
  });

  it('once everyone present has passed, asks them all again by the ranking; nobody present, nobody', () => {
    expect(offer([{ ...near, passed: true }, { ...far, passed: true }], 2)).toEqual({ driverId: 1, byPlan: false });
    expect(offer([{ ...near, present: false }, { ...far, present: false }], 2)).toBeNull();
    expect(offer([], null)).toBeNull();
  });
});

describe('which deliveries ride together', () => {
  // three customers north-west of the shop, one due east
  const nw1 = { lat: 48.8600, lng: 2.3600 };
  const nw2 = { lat: 48.8650, lng: 2.3550 };
  const nw3 = { lat: 48.8700, lng: 2.3500 };
  const east = { lat: 48.8532, lng: 2.3900 };
  const order = (id: string, to: typeof nw1, readyIn: number, promisedIn: number): ReadyDelivery => ({ id, to, readyAt: now + readyIn * MIN, promisedAt: now + promisedIn * MIN });

  it('knows the directions of the compass', () => {
    expect(Math.round(bearingDeg(SHOP, { lat: 49, lng: SHOP.lng }))).toBe(0);
    expect(Math.round(bearingDeg(SHOP, east))).toBe(90);
    expect(Math.round(bearingDeg(SHOP, { lat: 48.8, lng: SHOP.lng }))).toBe(180);
  });

  it('puts orders ready together in the same direction in one trip of at most three, nearest stop first', () => {
    const trips = planTrips(SHOP, [order('c', nw3, 2, 40), order('a', nw1, 0, 35), order('b', nw2, 1, 38), order('e', east, 0, 30)], now, 'scooter');
    const ids = trips.map((t) => t.stops.map((s) => s.id));
    expect(ids).toContainEqual(['e']); // the other way: alone
    expect(ids).toContainEqual(['a', 'b', 'c']); // driving order: nearest first
    expect(ids).toHaveLength(2);
  });

  it('never batches orders ready too far apart, nor more than three', () => {
    const apart = planTrips(SHOP, [order('a', nw1, 0, 40), order('b', nw2, 12, 60)], now, 'scooter');
    expect(apart.map((t) => t.stops.map((s) => s.id))).toEqual([['a'], ['b']]);
    const four = planTrips(SHOP, [order('a', nw1, 0, 60), order('b', nw2, 0, 60), order('c', nw3, 0, 60), order('d', { lat: 48.875, lng: 2.345 }, 0, 60)], now, 'scooter');
    expect(four.map((t) => t.stops.length).sort()).toEqual([1, 3]);
  });

  it('does not let a second order make the first customer late', () => {
    // the first customer is due in 6 minutes: going via the other (ready 4 minutes later) would make them late
    const trips = planTrips(SHOP, [order('urgent', nw1, 0, 6), order('later', nw2, 4, 50)], now, 'scooter');
    expect(trips.map((t) => t.stops.map((s) => s.id))).toEqual([['urgent'], ['later']]);
    const [urgent] = routeTrip(SHOP, [order('urgent', nw1, 0, 6)], now, 'scooter');
    expect(urgent.arrivesAt).toBeLessThanOrEqual(now + 6 * MIN);
  });
});

describe('driverPresence', () => {
  const now = 1_000_000_000;
  it('on shift is not present: the phone must be connected and have said where it is within the freshness', () => {
    expect(driverPresence({ connected: true, positionSentAt: now - 30_000 }, now, 120_000)).toBe('present');
    expect(driverPresence({ connected: false, positionSentAt: now - 1_000 }, now, 120_000)).toBe('app_closed');
    expect(driverPresence({ connected: true, positionSentAt: now - 121_000 }, now, 120_000)).toBe('position_stale');
    expect(driverPresence({ connected: true, positionSentAt: null }, now, 120_000)).toBe('position_stale');
  });
});

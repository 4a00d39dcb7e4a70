import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS as S, kitchenMinutes, liveEta, promisedMinutes, travelMinutes } from './eta.ts';

const SHOP = { lat: 48.8532, lng: 2.3692 }; // Bastille
const HOME = { lat: 48.8643, lng: 2.3736 }; // Oberkampf, about 1.26 km away
const MIN = 60_000;

describe('the promise at checkout', () => {
  it('counts the road at the mode’s speed over a road a third longer than the straight line', () => {
    // 1 km straight, 1.35 km of road, by scooter at 22 km/h: about 3.7 min
    expect(travelMinutes(1000, 'scooter')).toBeCloseTo(3.68, 1);
    expect(travelMinutes(1000, 'bike')).toBeGreaterThan(travelMinutes(1000, 'scooter'));
  });

  it('shares what is ahead between the pizzaiolos, then makes this order', () => {
    // nothing ahead: 8 min base + 2 pizzas × 2 min; 10 pizzas ahead shared by 2: 10 min more
    expect(kitchenMinutes(0, 2)).toBe(12);
    expect(kitchenMinutes(10, 2)).toBe(22);
    expect(kitchenMinutes(10, 2, { ...S, parallel: 1 })).toBe(32);
  });

  it('rounds the promise up to the next 5 minutes, the road included for a delivery only', () => {
    expect(promisedMinutes({ items: 2, itemsAhead: 0, delivery: null })).toBe(15); // 12 → 15
    // 12 in the kitchen + 4 handover + about 4.6 min for 1.26 km by scooter = 20.6 → 25
    expect(promisedMinutes({ items: 2, itemsAhead: 0, delivery: { distanceM: 1260, mode: 'scooter' } })).toBe(25);
    // a busy evening: 30 pizzas ahead add 30 minutes
    expect(promisedMinutes({ items: 2, itemsAhead: 30, delivery: { distanceM: 1260, mode: 'scooter' } })).toBe(55);
  });
});

describe('the live ETA', () => {
  const now = Date.parse('2026-11-22T19:00:00Z');
  const delivery = { from: SHOP, to: HOME, mode: 'scooter' as const };

  it('moves with the kitchen, then with the driver, and says how late it is against the promise', () => {
    const waiting = liveEta({ status: 'received', items: 2, itemsAhead: 10, promisedAt: now + 30 * MIN, delivery }, now);
    expect(waiting.stage).toBe('kitchen');
    expect(waiting.minutes).toBe(Math.round(22 + 4 + travelMinutes(1260, 'scooter'))); // about 31
    expect(waiting.lateByMinutes).toBe(waiting.minutes - 30);

    // in the oven for 5 of its 12 minutes
    const baking = liveEta({ status: 'preparing', items: 2, itemsAhead: 0, preparingAt: now - 5 * MIN, delivery }, now);
    expect(baking).toMatchObject({ stage: 'oven', lateByMinutes: null });
    expect(baking.minutes).toBe(Math.round(7 + 4 + travelMinutes(1260, 'scooter')));

    // the driver is halfway: the ETA is the rest of the road
    const halfway = { lat: (SHOP.lat + HOME.lat) / 2, lng: (SHOP.lng + HOME.lng) / 2 };
    const onTheWay = liveEta({ status: 'out_for_delivery', items: 2, itemsAhead: 0, promisedAt: now + 10 * MIN, delivery: { ...delivery, driverAt: halfway } }, now);
    expect(onTheWay.stage).toBe('on_the_way');
    expect(onTheWay.minutes).toBe(Math.max(1, Math.round(travelMinutes(630, 'scooter'))));
    expect(onTheWay.lateByMinutes).toBeLessThan(0); // early

    // at the door: never "0 minutes" until delivered
    expect(liveEta({ status: 'out_for_delivery', items: 2, itemsAhead: 0, delivery: { ...delivery, driverAt: HOME } }, now).minutes).toBe(1);
    expect(liveEta({ status: 'delivered', items: 2, itemsAhead: 0, delivery }, now)).toEqual({ stage: 'done', minutes: 0, lateByMinutes: null });
  });

  it('an oven running over its estimate still says at least a minute, and a pickup is done once ready', () => {
    const over = liveEta({ status: 'preparing', items: 1, itemsAhead: 0, preparingAt: now - 40 * MIN, delivery: null }, now);
    expect(over.minutes).toBe(1);
    expect(liveEta({ status: 'ready', items: 1, itemsAhead: 0, delivery: null }, now).stage).toBe('done');
    expect(liveEta({ status: 'ready', items: 1, itemsAhead: 0, delivery }, now)).toMatchObject({ stage: 'waiting_driver' });
  });
});

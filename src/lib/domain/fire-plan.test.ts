import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_SETTINGS, plannedPromise, planFires, type WaitingOrder } from './fire-plan.ts';

const NOW = Date.parse('2026-11-27T19:30:00Z');
const MIN = 60_000;
const at = (minutes: number) => NOW + minutes * MIN;
const inMinutes = (ms: number) => Math.round((ms - NOW) / MIN);
// with the default settings, an order of 2 items takes 8 + 2×2 = 12 minutes in an empty kitchen
const delivery = (id: string, promisedIn: number, roadMinutes = 6, items = 2): WaitingOrder => ({ id, fulfilment: 'delivery', promisedAt: at(promisedIn), items, roadMinutes });

describe('planFires', () => {
  it('fires at once when the driver is at the shop', () => {
    const [p] = planFires([delivery('a', 30)], [{ id: 7, backAt: NOW }], NOW);
    expect(p).toMatchObject({ orderId: 'a', fireAt: NOW, reason: 'now', driverId: 7, lateMinutes: 0 });
    expect(inMinutes(p.readyAt)).toBe(12);
  });

  it('holds an order so that it leaves the oven as its driver walks in, not ten minutes before', () => {
    const [p] = planFires([delivery('a', 45)], [{ id: 7, backAt: at(25) }], NOW);
    // ready 2 minutes before the driver: fired 25 − 2 − 12 = 11 minutes from now
    expect(p).toMatchObject({ reason: 'driver', driverId: 7, driverAt: at(25), lateMinutes: 0 });
    expect(inMinutes(p.fireAt)).toBe(11);
    expect(inMinutes(p.readyAt)).toBe(23);
  });

  it('holds an order for its driver even past its promise (sooner, it would wait cold for the same driver), and says how late', () => {
    // promised in 40 with 6 minutes of road and 4 of handover, its only driver back at 60
    const [p] = planFires([delivery('a', 40)], [{ id: 7, backAt: at(60) }], NOW);
    expect(inMinutes(p.fireAt)).toBe(60 - 2 - 12);
    expect(inMinutes(p.readyAt)).toBe(58);
    // the driver leaves with it at 60 and is at the door at 70: 30 minutes late, known now
    expect(p.lateMinutes).toBe(30);
  });

  it('fires at once when nobody is on shift, and a hold of a minute is no hold', () => {
    expect(planFires([delivery('a', 45)], [], NOW)[0]).toMatchObject({ fireAt: NOW, reason: 'now', driverId: null });
    // the driver back in 15: ready by 13, fired at 1 minute from now: now
    expect(planFires([delivery('a', 45)], [{ id: 7, backAt: at(15) }], NOW)[0]).toMatchObject({ fireAt: NOW, reason: 'now' });
  });

  it('gives the first promise to the first driver back, and the next to the next', () => {
    const plan = planFires([delivery('late', 60), delivery('soon', 35)], [{ id: 1, backAt: at(30) }, { id: 2, backAt: at(20) }], NOW);
    const byId = new Map(plan.map((p) => [p.orderId, p]));
    expect(byId.get('soon')).toMatchObject({ driverId: 2, driverAt: at(20) });
    expect(byId.get('late')).toMatchObject({ driverId: 1, driverAt: at(30), reason: 'driver' });
    expect(inMinutes(byId.get('late')!.fireAt)).toBe(30 - 2 - 14); // 2 items queued ahead: 14 minutes
  });

  it('puts orders promised within minutes of each other on one trip, and the next one on the driver’s next return', () => {
    const plan = planFires([delivery('a', 30), delivery('b', 33), delivery('c', 70)], [{ id: 7, backAt: NOW }], NOW);
    const byId = new Map(plan.map((p) => [p.orderId, p]));
    expect(byId.get('a')!.driverId).toBe(7);
    expect(byId.get('b')).toMatchObject({ driverId: 7, driverAt: NOW });
    // the trip leaves when both are ready (b, behind a: 14) + 4 of handover, then 2×6 of road and 2
    // stops of 3: back at 36; c, behind both (16 minutes of kitchen), is fired to be ready at 34
    expect(byId.get('c')).toMatchObject({ driverId: 7, driverAt: at(36), reason: 'driver' });
    expect(inMinutes(byId.get('c')!.fireAt)).toBe(36 - 2 - 16);
  });

  it("holds a platform's order to be ready as its courier walks in, behind what the kitchen has ahead, and at once when the kitchen is behind", () => {
    const courier: WaitingOrder = { id: 'c', fulfilment: 'pickup', promisedAt: at(30), items: 2, roadMinutes: 0, courierAt: at(30) };
    const [p] = planFires([courier], [], NOW);
    // 12 minutes in an empty kitchen: fired 18 minutes from now, ready as the courier comes
    expect(p).toMatchObject({ orderId: 'c', reason: 'courier', lateMinutes: 0 });
    expect(inMinutes(p.fireAt)).toBe(18);
    expect(inMinutes(p.readyAt)).toBe(30);
    // the same with 6 pizzas in the oven before it: fired sooner, still ready by 30
    const [q] = planFires([courier], [], NOW, 6);
    expect(inMinutes(q.fireAt)).toBeLessThan(18);
    expect(inMinutes(q.readyAt)).toBeLessThanOrEqual(30);
    // a courier due in 10 minutes: no time to hold it, made at once and said late
    const [r] = planFires([{ ...courier, promisedAt: at(10), courierAt: at(10) }], [], NOW);
    expect(r).toMatchObject({ fireAt: NOW, reason: 'now' });
    expect(r.lateMinutes).toBeGreaterThan(0);
  });

  it('makes a pickup at once (its customer may come early), and leaves an order for later at its slot’s time', () => {
    const pickup: WaitingOrder = { id: 'p', fulfilment: 'pickup', promisedAt: at(40), items: 2, roadMinutes: 0 };
    const later = { ...delivery('l', 90), fixedFireAt: at(60) };
    const plan = planFires([pickup, later], [{ id: 7, backAt: NOW }], NOW);
    expect(plan.find((p) => p.orderId === 'p')).toMatchObject({ reason: 'now', fireAt: NOW, lateMinutes: 0 });
    expect(plan.find((p) => p.orderId === 'l')).toMatchObject({ fireAt: at(60), reason: 'slot' });
  });

  it('counts the items already in the make line ahead of every waiting order', () => {
    const [p] = planFires([delivery('a', 30)], [{ id: 7, backAt: NOW }], NOW, 10);
    // 10 items ahead shared by 2 pizzaiolos: 10 more minutes
    expect(inMinutes(p.readyAt)).toBe(22);
    expect(DEFAULT_PLAN_SETTINGS.marginMinutes).toBeGreaterThan(0);
  });

  it('lets an order already started take its driver’s trip, and says when its customer has it', () => {
    // a ready delivery given to driver 7 (back in 10), a waiting one promised just after it
    const ready: WaitingOrder = { ...delivery('ready', 30), startedReadyAt: NOW, driverId: 7 };
    const plan = planFires([ready, delivery('next', 32)], [{ id: 7, backAt: at(10) }, { id: 8, backAt: at(25) }], NOW);
    const byId = new Map(plan.map((p) => [p.orderId, p]));
    // it leaves when driver 7 is back (10), 4 of handover, 6 of road: at the door at 20
    expect(byId.get('ready')).toMatchObject({ reason: 'started', driverId: 7, fireAt: NOW, lateMinutes: 0 });
    expect(inMinutes(byId.get('ready')!.expectedAt)).toBe(20);
    // the trip of orders already given to driver 7 takes no other: the next one waits for driver 8
    expect(byId.get('next')).toMatchObject({ driverId: 8, driverAt: at(25) });
  });

  it('sees a delivery running late before it is: the driver back after the promise allows', () => {
    const baking: WaitingOrder = { ...delivery('baking', 25), startedReadyAt: at(5) };
    const [p] = planFires([baking], [{ id: 7, backAt: at(30) }], NOW);
    // ready at 5, the driver back at 30, at the door at 40 against a promise of 25
    expect(p).toMatchObject({ reason: 'started', lateMinutes: 15 });
    expect(inMinutes(p.expectedAt)).toBe(40);
  });

  it('promises a new delivery from the same plan: the rule when a driver is free, later behind the drivers already taken', () => {
    const order = { items: 2, roadMinutes: 6 };
    // a driver at the shop: the rule's 25
    expect(plannedPromise([], [{ id: 7, backAt: NOW }], order, 25, NOW)).toBe(25);
    // nobody on shift: the rule
    expect(plannedPromise([], [], order, 25, NOW)).toBe(25);
    // the only driver's next trip is for an order promised long before (back at 20, leaving with it
    // after 4 of handover, back after 12 of road and 3 at the door, at 39): the new one leaves at 39,
    // 4 of handover and 6 of road, at the door at 49: promised 50
    expect(plannedPromise([delivery('a', 10)], [{ id: 7, backAt: at(20) }], order, 25, NOW)).toBe(50);
    // promised close to one already waiting, it rides on that trip
    expect(plannedPromise([delivery('a', 22)], [{ id: 7, backAt: at(20) }], order, 25, NOW)).toBe(30);
  });
});


import { describe, expect, it } from 'vitest';
import { ALERT_ORDER, managerAlerts, sortAlerts, type AlertDriver, type AlertOrder } from './alerts.ts';

const NOW = Date.parse('2026-11-23T20:00:00Z');
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

const order = (over: Partial<AlertOrder> & { id: string }): AlertOrder => ({
  number: 1,
  pizzeriaId: 1,
  status: 'received',
  fulfilment: 'delivery',
  late: false,
  promisedAt: null,
  waitingForDriver: false,
  driver: null,
  delivery: { awaitingDecision: false, failure: null },
  timestamps: { created: ago(10) },
  ...over,
});
const driver = (over: Partial<AlertDriver> & { id: number }): AlertDriver => ({
  name: `driver ${over.id}`,
  onShift: true,
  worksFor: 1,
  load: 0,
  connected: true,
  position: { at: ago(0.2) },
  ...over,
});

describe('the manager alerts', () => {
  it('come most urgent first: a failed delivery, a platform order waiting for the manager, a push a platform keeps refusing, a delivery waiting for a driver, a ticket late in the oven, a quiet driver, an order past its promise, a driver with the app closed, a low rating, a client holding too much, an order changed outside the till, a payment the counter corrected, low stock', () => {
    const alerts = managerAlerts(
      {
        // listed in the reverse order, each kind once
        orders: [
          order({ id: 'past', status: 'out_for_delivery', driver: { id: 9 }, promisedAt: ago(3), timestamps: { out_for_delivery: ago(20) } }),
          order({ id: 'oven', status: 'preparing', late: true, timestamps: { preparing: ago(18) } }),
          order({ id: 'waiting', status: 'ready', waitingForDriver: true, timestamps: { ready: ago(1) } }),
          order({ id: 'failed', status: 'ready', delivery: { awaitingDecision: true, failure: { at: ago(1) } }, timestamps: { ready: ago(25) } }),
        ],
        drivers: [
          driver({ id: 7, connected: false, position: null }),
          driver({ id: 9, load: 1, position: { at: ago(4) } }),
          driver({ id: 8 }),
        ],
        lowStock: [{ pizzeriaId: 1, low: [{}] }],
        lowRatings: [{ orderId: 'rated', pizzeriaId: 1, number: 12, food: 2, delivery: 4, comment: 'Froide', at: ago(30) }],
        heldStock: [{ pizzeriaId: 3, client: '+33712345678', attempts: 4, since: ago(20), orders: [7] }],
        platformOrders: [{ id: 5, pizzeriaId: 2, marketplace: 'deliveroo', code: null, receivedAt: ago(1), acceptBy: null, unmapped: [] }],
        platformPushes: [{ pizzeriaId: 6, marketplace: 'deliveroo', what: 'status', since: ago(2), attempts: 1 }],
        fiscalAnomalies: [{ orderId: 'changed', pizzeriaId: 4, number: 31, at: ago(40) }],
        paymentCorrections: [{ seq: 9, pizzeriaId: 2, orderId: 'rebooked', number: 8, at: ago(15), operator: 'Léa', from: 'counter_cash', to: 'counter_card', cents: 2150, confirmedBy: null }],
        voucherRefusals: [{ pizzeriaId: 5, orderId: 'lapsed', number: 14, at: ago(3), issuer: 'pluxee', cents: 2500 }],
      },
      NOW,
    );
    expect(alerts.map((a) => a.kind)).toEqual([...ALERT_ORDER]);
    expect(alerts.map((a) => a.orderId ?? a.driverId ?? a.platformOrderId ?? a.pizzeriaId)).toEqual(['failed', 5, 6, 'waiting', 'oven', 9, 'past', 'lapsed', 7, 'rated', 3, 'changed', 'rebooked', 1]);
    expect(alerts.find((a) => a.kind === 'voucher_refused')).toEqual({
      id: 'voucher-lapsed', kind: 'voucher_refused', pizzeriaId: 5, since: NOW - 3 * 60_000, orderId: 'lapsed', number: 14, voucher: { issuer: 'pluxee', cents: 2500 },
    });
    expect(alerts.find((a) => a.kind === 'fiscal_anomaly')).toEqual({ id: 'fiscal-changed', kind: 'fiscal_anomaly', pizzeriaId: 4, since: NOW - 40 * 60_000, orderId: 'changed', number: 31 });
    expect(alerts.find((a) => a.kind === 'payment_corrected')).toEqual({
      id: 'correction-2-9', kind: 'payment_corrected', pizzeriaId: 2, since: NOW - 15 * 60_000, orderId: 'rebooked', number: 8,
      correction: { from: 'counter_cash', to: 'counter_card', cents: 2150, by: 'Léa', confirmedBy: null },
    });
    expect(alerts.find((a) => a.kind === 'held_stock')).toEqual({
      id: 'held-3-+33712345678', kind: 'held_stock', pizzeriaId: 3, since: NOW - 20 * 60_000, count: 4, name: '+33712345678', orders: [7],
    });
  });

  it('within a kind, the one waiting longest comes first', () => {
    const sorted = sortAlerts([
      { id: 'b', kind: 'late_in_oven' as const, since: NOW - 60_000 },
      { id: 'stock', kind: 'stock_low' as const, since: NOW - 3_600_000 },
      { id: 'a', kind: 'late_in_oven' as const, since: NOW - 300_000 },
    ]);
    expect(sorted.map((a) => a.id)).toEqual(['a', 'b', 'stock']);
  });

  it('a ticket in the oven within its target, a ready delivery just out of the oven and a present driver are no alert', () => {
    const alerts = managerAlerts(
      {
        orders: [
          order({ id: 'oven', status: 'preparing', late: false, timestamps: { preparing: ago(5) } }),
          order({ id: 'ready', status: 'ready', timestamps: { ready: ago(1) } }),
          order({ id: 'done', status: 'delivered', promisedAt: ago(30) }),
        ],
        drivers: [driver({ id: 1 }), driver({ id: 2, onShift: false, connected: false, position: null })],
      },
      NOW,
    );
    expect(alerts).toEqual([]);
  });

  it('a driver on shift whose app is closed, or whose phone has said nothing for too long, is "on shift, app closed"; unknown presence says nothing', () => {
    const alerts = managerAlerts(
      {
        orders: [],
        drivers: [
          driver({ id: 1, connected: false }),
          driver({ id: 2, connected: true, position: { at: ago(5) } }),
          driver({ id: 3, connected: null, position: null }),
        ],
      },
      NOW,
    );
    expect(alerts.map((a) => [a.kind, a.driverId])).toEqual([
      ['app_closed', 2],
      ['app_closed', 1],
    ]);
  });

  it('an order the plan expects late is an alert before its promise has passed, one per order, still one past the promise, and none once handed over or cancelled', () => {
    const expected = { minutes: 12, at: ago(2) };
    const alertsOf = (o: AlertOrder, at = NOW) => managerAlerts({ orders: [o], drivers: [] }, at);
    // promised in 5 minutes, expected 12 late: the alert is there now, with when it was promised
    const soon = order({ id: 'soon', status: 'ready', driver: { id: 3 }, promisedAt: new Date(NOW + 5 * 60_000).toISOString(), lateExpected: expected });
    expect(alertsOf(soon)).toEqual([{ id: 'late-soon', kind: 'late', pizzeriaId: 1, since: NOW - 2 * 60_000, orderId: 'soon', number: 1, promisedAt: NOW + 5 * 60_000, expectedMinutes: 12 }]);
    // the same order past its promise: still one alert, the same one
    expect(alertsOf(soon, NOW + 8 * 60_000).map((a) => a.id)).toEqual(['late-soon']);
    // without the plan's forecast, an order before its promise is no alert
    expect(alertsOf({ ...soon, lateExpected: null })).toEqual([]);
    for (const status of ['delivered', 'collected', 'cancelled']) expect(alertsOf({ ...soon, status })).toEqual([]);
  });

  it('a low rating stays an alert for the evening (12 hours), with its stars and comment', () => {
    const rated = (id: string, minutes: number) => ({ orderId: id, pizzeriaId: 2, number: 7, food: 1, delivery: null, comment: null, at: ago(minutes) });
    const alerts = managerAlerts({ orders: [], drivers: [], lowRatings: [rated('tonight', 11 * 60), rated('yesterday', 13 * 60)] }, NOW);
    expect(alerts).toEqual([{ id: 'rating-tonight', kind: 'low_rating', pizzeriaId: 2, since: NOW - 11 * 3_600_000, orderId: 'tonight', number: 7, food: 1, delivery: null, comment: null }]);
  });

  it('a platform order waiting for the manager is an alert with its deadline and its unmapped items, gone once the deadline passed', () => {
    const waiting = { id: 9, pizzeriaId: 1, marketplace: 'uber_eats', code: 'A1B2C', receivedAt: ago(2), acceptBy: new Date(NOW + 8 * 60_000).toISOString(), unmapped: ['Pizza du chef'] };
    const alerts = managerAlerts({ orders: [], drivers: [], platformOrders: [waiting] }, NOW);
    expect(alerts).toEqual([
      { id: 'platform-9', kind: 'platform_order', pizzeriaId: 1, since: NOW - 2 * 60_000, marketplace: 'uber_eats', platformOrderId: 9, acceptBy: NOW + 8 * 60_000, unmapped: ['Pizza du chef'], name: 'A1B2C' },
    ]);
    expect(managerAlerts({ orders: [], drivers: [], platformOrders: [{ ...waiting, acceptBy: ago(0) }] }, NOW)).toEqual([]);
    // before a driver waiting: the platform cancels it by itself at its deadline
    const both = managerAlerts({ orders: [order({ id: 'o', status: 'ready', waitingForDriver: true })], drivers: [], platformOrders: [waiting] }, NOW);
    expect(both.map((a) => a.kind)).toEqual(['platform_order', 'waiting_driver']);
  });

  it('a push a platform keeps refusing is an alert from its first failure, before a driver waiting', () => {
    const failing = { pizzeriaId: 1, marketplace: 'deliveroo', what: 'availability' as const, since: ago(4), attempts: 3 };
    const alerts = managerAlerts({ orders: [order({ id: 'o', status: 'ready', waitingForDriver: true })], drivers: [], platformPushes: [failing] }, NOW);
    expect(alerts[0]).toEqual({ id: 'push-deliveroo-1-availability', kind: 'platform_push', pizzeriaId: 1, since: NOW - 4 * 60_000, marketplace: 'deliveroo', push: 'availability', count: 3 });
    expect(alerts.map((a) => a.kind)).toEqual(['platform_push', 'waiting_driver']);
  });
});

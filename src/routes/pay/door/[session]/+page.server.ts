import { error } from '@sveltejs/kit';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { DOOR_QR_MINUTES } from '$lib/server/money/door-qr.ts';
import type { PageServerLoad } from './$types';

// The page a QR code shown at the door opens, on the customer's own phone. With Stripe's keys the
// code opens Stripe's own page, which sends the customer back here ('done') once paid; in demo mode
// (no keys) this is the payment page itself: what the driver's code asks, paid or refused with the
// demo's buttons (server/api/door-qr.ts makes the event Stripe would send).
export const load: PageServerLoad = async ({ params, setHeaders }) => {
  setHeaders({ 'cache-control': 'private, no-store' });
  if (params.session === 'done') return { done: true as const, demo: null };
  if (config().paymentMode !== 'demo' || !/^cs_demo_[0-9a-f]{32}$/.test(params.session)) error(404, 'Payment page not found');
  const { rows } = await db().query<{ amount_cents: number; state: string; open: boolean; number: number; shop: string }>(
    `SELECT d.amount_cents, d.state, d.created_at > now() - make_interval(mins => $2) AS open, o.number, p.name AS shop
     FROM door_qr_payments d JOIN orders o ON o.id = d.order_id JOIN pizzerias p ON p.id = d.pizzeria_id WHERE d.session_ref = $1`,
    [params.session, DOOR_QR_MINUTES],
  );
  const s = rows[0];
  if (!s) error(404, 'Payment page not found');
  const state = s.state === 'open' && !s.open ? 'expired' : s.state;
  return { done: false as const, demo: { session: params.session, amountCents: s.amount_cents, number: s.number, shop: s.shop, state } };
};

// What the live page says of each alert (the alerts themselves and their order: src/lib/domain/alerts.ts),
// in the manager's words: the shop, the order or the driver, and how long it has been so.
import type { ManagerAlert } from '../../domain/alerts.ts';

type Translate = (key: string, vars?: Record<string, unknown>) => string;

export interface AlertWords {
  t: Translate;
  /** A time of day in the manager's language. */
  time: (iso: string) => string;
  /** Each shop's short name. */
  shopName: ReadonlyMap<number, string>;
  now: number;
  /** An amount in the manager's language (euros with two decimals when not given). */
  price?: (cents: number) => string;
}

/** The alert's sentence. */
export function alertText(a: ManagerAlert, { t, time, shopName, now, price = (c) => `${(c / 100).toFixed(2)} €` }: AlertWords): string {
  const shop = shopName.get(a.pizzeriaId) ?? '';
  const vars = { number: a.number, shop, name: a.name, count: a.count, minutes: Math.max(0, Math.floor((now - a.since) / 60_000)) };
  if (a.kind === 'held_stock') {
    if (!a.name) return t('alerts.held_stock_share', vars);
    const orders = a.orders?.length ? t('alerts.held_stock_orders', { numbers: a.orders.join(', ') }) : t('alerts.held_stock_no_orders');
    return t('alerts.held_stock', { ...vars, orders });
  }
  if (a.kind === 'platform_order') {
    // the platform cancels it by itself at its deadline: a countdown
    const left = a.acceptBy ? t('platformIntake.left', { minutes: Math.max(0, Math.ceil((a.acceptBy - now) / 60_000)) }) : '';
    const what = a.unmapped?.length ? t('platformIntake.unmapped', { items: a.unmapped.join(', ') }) : t(a.priceCheck ? 'platformIntake.checkPrices' : 'platformIntake.toAccept');
    return t('alerts.platform_order', { ...vars, platform: t(`platformIntake.names.${a.marketplace}`, { defaultValue: a.marketplace }), code: a.name ?? '', what, left });
  }
  if (a.kind === 'platform_push') {
    // what the platform has not heard since the first failure; the workers keep trying
    const platform = t(`platformIntake.names.${a.marketplace}`, { defaultValue: a.marketplace });
    return t('alerts.platform_push', { ...vars, platform, what: t(`alerts.push_${a.push}`), time: time(new Date(a.since).toISOString()) });
  }
  if (a.kind === 'low_rating') {
    const scores = [t('alerts.scoreFood', { stars: a.food }), ...(a.delivery == null ? [] : [t('alerts.scoreDelivery', { stars: a.delivery })])].join(', ');
    return t(a.comment ? 'alerts.low_rating_comment' : 'alerts.low_rating', { ...vars, scores, comment: a.comment });
  }
  if (a.kind === 'payment_corrected' && a.correction) {
    const c = a.correction;
    const confirmed = c.confirmedBy ? t('alerts.payment_corrected_confirmed', { name: c.confirmedBy }) : '';
    return t('alerts.payment_corrected', { ...vars, from: t(`takings.way.${c.from}`), to: t(`takings.way.${c.to}`), amount: price(c.cents), who: c.by, confirmed });
  }
  if (a.kind === 'voucher_refused' && a.voucher) {
    const issuer = a.voucher.issuer ? t(`takings.way.voucher_${a.voucher.issuer}`) : t('alerts.voucher_unknown');
    return t('alerts.voucher_refused', { ...vars, issuer, amount: price(a.voucher.cents) });
  }
  if (a.kind === 'late') {
    // expected late by the plan, the promise still ahead; then past it
    const promised = a.promisedAt ?? a.since;
    if (a.expectedMinutes !== undefined && now <= promised) return t('alerts.late_expected', { ...vars, minutes: a.expectedMinutes, time: time(new Date(promised).toISOString()) });
    return t('alerts.late', { ...vars, minutes: Math.max(1, Math.ceil((now - promised) / 60_000)) });
  }
  return t(`alerts.${a.kind}`, vars);
}

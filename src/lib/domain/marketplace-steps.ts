// The kitchen's steps a delivery platform is told of (src/lib/server/marketplaces/provider.ts): the
// order's statuses a platform has a call for.
import type { OrderStatus } from './order-states.ts';

export const MARKETPLACE_STEPS = ['preparing', 'ready', 'collected', 'delivered'] as const satisfies readonly OrderStatus[];

/** A kitchen step told to the platform. */
export type MarketplaceStep = (typeof MARKETPLACE_STEPS)[number];

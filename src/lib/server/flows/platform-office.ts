// What the back office asks of the intake (decisions.ts): a waiting platform order accepted or
// denied by the manager, the orders waiting for a mapping tried again, a shop's menu pushed. A
// platform that fails to answer (or is not configured here) is the platform's trouble, said as such
// (502), not the page's; a mapping stands even if the platform cannot be asked again now.
import type { Db } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import * as decisions from './platform-decisions.ts';
import type { DenyReason } from '../marketplaces/provider.ts';

async function asked<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(502, 'platform_unavailable', `the platform could not be told: ${(err as Error).message}`);
  }
}

export const acceptWaiting = (db: Db, marketplaceOrderId: number, actor: StaffActor) => asked(() => decisions.acceptWaiting(db, marketplaceOrderId, actor));

export const denyWaiting = (db: Db, marketplaceOrderId: number, reason: DenyReason, explanation: string, actor: StaffActor) =>
  asked(() => decisions.denyWaiting(db, marketplaceOrderId, reason, explanation, actor));

export const queueMenuPush = (pizzeriaId: number, marketplace: string) => asked(() => decisions.queueMenuPush(pizzeriaId, marketplace));

/** How many waiting orders were tried again; 0 when the platform cannot be asked now (they wait for the intake's next pass). */
export async function retryMapped(db: Db, marketplace: string, pizzeriaId: number | null = null): Promise<number> {
  try {
    return await decisions.retryMapped(db, marketplace, pizzeriaId);
  } catch {
    return 0;
  }
}

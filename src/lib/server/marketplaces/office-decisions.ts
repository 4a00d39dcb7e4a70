// What the back office asks of the intake (decisions.ts): a waiting platform order accepted or
// denied by the manager, the orders waiting for a mapping tried again, a shop's menu pushed.
// Until the intake's decisions are in, each answers 503 and changes nothing.
import type { Db } from '../db.ts';
import { AppError } from '../errors.ts';
import type { StaffActor } from '../orders/actors.ts';
import type { DenyReason } from './provider.ts';

const notYet = () => new AppError(503, 'platform_intake_unavailable', 'the platform intake is not running here yet');

export async function acceptWaiting(_db: Db, _marketplaceOrderId: number, _actor: StaffActor): Promise<void> {
  throw notYet();
}
export async function denyWaiting(_db: Db, _marketplaceOrderId: number, _reason: DenyReason, _explanation: string, _actor: StaffActor): Promise<void> {
  throw notYet();
}
export async function retryMapped(_db: Db, _marketplace: string): Promise<number> {
  return 0;
}
export async function queueMenuPush(_pizzeriaId: number, _marketplace: string): Promise<void> {
  throw notYet();
}

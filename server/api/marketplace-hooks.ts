// The delivery platforms' webhooks: POST /api/marketplaces/:provider/webhook, the raw body (its
// signature is over the bytes: mounted before the API's JSON parser). A platform unknown here or
// not configured: 404; a bad signature: 401, nothing written; a store no shop connected: 404,
// nothing written; a notice (the order, a cancel, a courier) about an order of another store: 409, nothing
// written; each event kept once (a replay answers 200 and changes nothing), its order kept
// and handed to the workers under a deterministic id. It answers at once (200, or what the platform's
// provider says its documentation asks: provider.answer): the platform retries
// whatever is not answered 2xx, and the reconciler queues again what was kept but not queued.
import express from 'express';
import { AppError } from '../../src/lib/server/kernel/errors.ts';
import { keepNotices, type Queued } from '../../src/lib/server/marketplaces/intake.ts';
import { marketplaceById, marketplacesFor } from '../../src/lib/server/marketplaces/registry.ts';
import type { MarketplaceNotice } from '../../src/lib/server/marketplaces/provider.ts';
import { addJob, jobId } from '../../src/lib/server/kernel/queues.ts';
import { Answer, Routes, type ApiContext } from './kit.ts';

/** A platform's webhook carries one order or a small batch of events: more is not a platform's. */
const BODY_LIMIT = '256kb';
/** Per platform address, a minute: far above a busy evening's orders, couriers and retries across the chain. */
const HOOKS_PER_MINUTE = 600;

/** Hands what was kept to the workers; Redis away: logged, the reconciler queues kept orders again. */
async function handOn(ctx: ApiContext, marketplace: string, queued: Queued[]) {
  const queue = ctx.marketplaceQueue;
  if (!queue) return;
  for (const q of queued) {
    const added =
      q.kind === 'intake'
        ? addJob(queue, 'intake', { id: q.id }, { jobId: jobId.marketplaceIntake(q.id) })
        : addJob(queue, 'notice', { marketplace, notice: q.notice }, { jobId: jobId.marketplaceNotice(marketplace, q.notice.eventId) });
    await added.catch((err) => ctx.log.error({ err, marketplace }, 'platform webhook kept, not queued'));
  }
}

export function marketplaceWebhooks(ctx: ApiContext) {
  const api = new Routes(ctx);
  const providers = ctx.marketplaces ?? marketplacesFor(ctx.config);
  const limiter = ctx.limiter('marketplace-hooks', 60_000, HOOKS_PER_MINUTE);
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });
  api.anyone.post('/marketplaces/:provider/webhook', { use: [limiter, raw] }, async ({ req }) => {
    const provider = marketplaceById(providers, String(req.params.provider));
    if (!provider?.configured) throw new AppError(404, 'not_found', 'no such delivery platform here');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!provider.verify(body, req.headers)) throw new AppError(401, 'bad_signature', 'the signature does not match this body');
    let notices: MarketplaceNotice[];
    try {
      notices = provider.read(body, req.headers);
    } catch (err) {
      throw new AppError(400, 'unreadable', `the platform's message could not be read: ${(err as Error).message}`.slice(0, 300));
    }
    const queued = await keepNotices(ctx.db, provider, notices);
    await handOn(ctx, provider.id, queued);
    const answer = provider.answer?.(body, notices);
    return answer ? new Answer(answer.status, answer.body) : { received: notices.length, new: queued.length };
  });
  return api.router;
}

import { error } from '@sveltejs/kit';
import { z } from 'zod';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { EXPORT_FORMATS, exportVat } from '$lib/server/fiscal/exports.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { RequestHandler } from './$types';
import { can } from '$lib/domain/permissions.ts';

const asked = z.strictObject({
  shop: z.coerce.number().int().positive().max(2_147_483_647),
  from: z.iso.date(),
  to: z.iso.date(),
  format: z.enum(EXPORT_FORMATS),
});

// the export's file, given out once the JET has its `export` event (a POST: a download is an event)
export const POST: RequestHandler = async ({ locals, url, request }) => {
  const user = requireRole(locals, url, can.runShop);
  const form = await request.formData().catch(() => null);
  const q = asked.safeParse(form ? Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string')) : {});
  if (!q.success) error(422, 'shop, from, to (YYYY-MM-DD) and format (csv, json) are needed');
  try {
    const file = await exportVat(db(), actorOf(user), q.data.shop, q.data.from, q.data.to, q.data.format);
    return new Response(file.content, {
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${file.filename}"`,
        'cache-control': 'no-store',
        'x-export-sha256': file.sha256,
        'x-jet-entry': String(file.event.seq),
      },
    });
  } catch (err) {
    if (err instanceof AppError && err.status < 500) error(err.status, err.message);
    throw err;
  }
};

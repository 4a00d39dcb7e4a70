// An archive's file, for head office: the tar.gz as kept, with its SHA-256 in a header.
import { error } from '@sveltejs/kit';
import { db } from '$lib/server/kernel/db.ts';
import { archiveFile } from '$lib/server/fiscal/archive.ts';
import { sha256 } from '$lib/server/fiscal/archive-file.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { can } from '$lib/domain/permissions.ts';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals, url, params }) => {
  requireRole(locals, url, can.runChain);
  const id = Number(params.id);
  const file = Number.isSafeInteger(id) && id > 0 ? await archiveFile(db(), id) : null;
  if (!file) error(404, 'No such archive');
  return new Response(new Uint8Array(file.bytes), {
    headers: {
      'content-type': 'application/gzip',
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'content-length': String(file.bytes.length),
      'x-content-sha256': sha256(file.bytes),
      'cache-control': 'no-store',
    },
  });
};

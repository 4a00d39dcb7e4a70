// A member of staff signs in or out, and the technical events journal says so (a certified till
// keeps who used it, and when): the session opened or closed, then a `sign_in` or `sign_out`
// event naming them and the session's fingerprint, signed with the process's key (recorded in the
// JET before it first signs there).
import type { Db } from '../kernel/db.ts';
import type { FiscalKey } from '../fiscal/keys.ts';
import { recordSession } from '../fiscal/jet-events.ts';
import { recordKeyOnce } from '../fiscal/signing.ts';
import { login, logout, sessionRef, type LoginResult } from '../staff/auth.ts';

/** login(), and its `sign_in` in the JET when it opened a session. */
export async function signIn(db: Db, key: FiscalKey, input: Parameters<typeof login>[1], opts: Parameters<typeof login>[2]): Promise<LoginResult> {
  const result = await login(db, input, opts);
  if (result.status === 'ok') {
    await recordKeyOnce(db, key);
    await recordSession(db, key, 'sign_in', result.user, sessionRef(result.token));
  }
  return result;
}

/** logout(), and its `sign_out` in the JET when it ended a session of staff. */
export async function signOut(db: Db, key: FiscalKey, token: string | undefined): Promise<void> {
  const who = await logout(db, token);
  if (!who || !token) return;
  await recordKeyOnce(db, key);
  await recordSession(db, key, 'sign_out', who, sessionRef(token));
}

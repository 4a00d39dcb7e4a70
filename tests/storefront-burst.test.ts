// A burst of storefronts right after a server starts (a restart during the evening): every one of
// them gets its shop's live menu, none is told the shop does not exist while the server is still
// learning which shops there are.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHOPS, connectSocket, startTestApp, subscribe, type TestSocket } from './helpers.ts';
import type { App } from '../server/app.ts';

let app: App;
let base: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  ({ app, base } = await startTestApp());
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app.close();
});

it('fifty storefronts opening the menu at once, first thing after a start, all get it', async () => {
  const shops = Object.values(SHOPS);
  const opened = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const socket = await connectSocket(base);
      sockets.push(socket);
      return subscribe(socket, { scope: 'menu', pizzeriaId: shops[i % shops.length] });
    }),
  );
  for (const ack of opened) expect(ack).toMatchObject({ data: {} });
});

// A burst of storefronts right after a server starts (a restart during the evening): every one of
// them gets its shop's live menu, none is told the shop does not exist while the server is still
// learning which shops there are.
import { expect, it } from 'vitest';
import { SHOPS, connectSocket, subscribe } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack();

it('fifty storefronts opening the menu at once, first thing after a start, all get it', async () => {
  const shops = Object.values(SHOPS);
  const opened = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const socket = await connectSocket(stack.base);
      stack.sockets.push(socket);
      return subscribe(socket, { scope: 'menu', pizzeriaId: shops[i % shops.length] });
    }),
  );
  for (const ack of opened) expect(ack).toMatchObject({ data: {} });
});

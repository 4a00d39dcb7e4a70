// When the driver's phone reads its money again (Earnings.svelte, CashTip.svelte), besides its own
// first read: when the socket says it changed (a delivery made, a tip shared or refunded, the shop's
// pay rule set: server/driver-money.ts), a moment later so that one drop's notices (its delivery,
// its tip's share) make one read; when the socket is live again (what was said while it was not);
// when the phone comes back to the page; and every minute, for a notice a hub missed.
import { onMount } from 'svelte';
import type { LiveConnection } from '../../realtime/live.svelte.ts';

/** What one drop's notices may be spread over: they make one read. */
const GATHER_MS = 250;
const EVERY_MS = 60_000;
/** A read this recent makes the socket's coming live again no news. */
const FRESH_MS = 1000;

/** Call while the component is created; `read` reads the money and shows it. */
export function followMoney(live: Pick<LiveConnection, 'onDriverMoney' | 'status'>, read: () => void): void {
  let lastRead = Date.now();
  const readNow = () => {
    lastRead = Date.now();
    read();
  };
  $effect(() => {
    if (live.status === 'live' && Date.now() - lastRead > FRESH_MS) readNow();
  });
  onMount(() => {
    let soon: ReturnType<typeof setTimeout> | null = null;
    const offNotice = live.onDriverMoney(() => {
      soon ??= setTimeout(() => {
        soon = null;
        readNow();
      }, GATHER_MS);
    });
    const every = setInterval(readNow, EVERY_MS);
    const onVisible = () => document.visibilityState === 'visible' && readNow();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      offNotice();
      if (soon) clearTimeout(soon);
      clearInterval(every);
      document.removeEventListener('visibilitychange', onVisible);
    };
  });
}

import { onDestroy } from 'svelte';
import type { LiveStatus } from '../realtime/live.svelte.ts';
import { OFFLINE_SCREENS } from '../shapes/fiscal-requests.ts';
import { OnlineSignal, StaffActions, type ActionEntry, type Outcome, type StaffAction } from './staff-actions.ts';

/**
 * A page's staff taps, live: the client from staff-actions.ts, online while the browser is and the
 * page's socket is up, with its entries mirrored for the template. Create it while the page is created.
 */
export class StaffTaps {
  entries = $state<Record<string, ActionEntry>>({});
  /** The browser says it has a network (navigator.onLine). */
  browserOnline = $state(true);
  private live = $state.raw<{ status: LiveStatus } | null>(null);
  /** Taps can go now: the browser is online and the page's socket is up (a socket refused by the hub
   * says nothing about the network: taps still go over HTTP). */
  online = $derived(this.browserOnline && (!this.live || this.live.status === 'live' || this.live.status === 'refused'));
  readonly client: StaffActions;
  private readonly signal = new OnlineSignal(false);

  constructor(live: { status: LiveStatus } | null, onSettled?: (entry: ActionEntry, outcome: Outcome) => void) {
    // the screen is its page: what it tells of a spell offline (staff-actions.ts) names it
    const screen = typeof window === 'undefined' ? undefined : screenOfPath(window.location.pathname);
    this.client = new StaffActions({ fetch: (input, init) => fetch(input, init), online: this.signal, onSettled, screen });
    const unsubscribe = this.client.subscribe(() => {
      this.entries = Object.fromEntries(this.client.list().map((e) => [e.key, e]));
    });
    const browser = typeof window !== 'undefined';
    const up = () => (this.browserOnline = true);
    const down = () => (this.browserOnline = false);
    if (browser) {
      this.browserOnline = navigator.onLine;
      window.addEventListener('online', up);
      window.addEventListener('offline', down);
    }
    this.live = live;
    $effect(() => this.signal.set(this.online));
    onDestroy(() => {
      unsubscribe();
      this.client.dispose();
      if (browser) {
        window.removeEventListener('online', up);
        window.removeEventListener('offline', down);
      }
    });
  }

  submit<A extends StaffAction>(action: A) {
    return this.client.submit(action);
  }

  forOrder(orderId: string): ActionEntry | undefined {
    return this.entries[`order:${orderId}`];
  }

  get waiting(): number {
    return Object.values(this.entries).filter((e) => e.state === 'waiting').length;
  }
}

/** The till's screen a page is (OFFLINE_SCREENS), by its path. */
function screenOfPath(path: string): string | undefined {
  const first = path.split('/')[1] ?? '';
  if (first === 'kitchen') return new URLSearchParams(window.location.search).get('station') === 'pass' ? 'pass' : 'kitchen';
  return (OFFLINE_SCREENS as readonly string[]).includes(first) ? first : undefined;
}

// The driver's page kept for a tunnel: it registers the service worker (src/service-worker.ts),
// which keeps this page and the app's files on the phone and answers from them when the network is
// gone. No other page registers it (svelte.config.js): a customer's phone, a kitchen's tablet need
// none of it, and would fetch every file of the app for nothing.
import { dev } from '$app/environment';

/** Registers the service worker once the driver's page runs (a browser without one goes without). */
export function keepOfflineShell(): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  // SvelteKit builds the worker as a module only in development
  navigator.serviceWorker.register('/service-worker.js', { type: dev ? 'module' : 'classic' }).catch(() => {
    /* a browser that refuses (private mode, no HTTPS): the page works online as before */
  });
}

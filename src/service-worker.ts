/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The driver's phone keeps working in a tunnel: registered by the driver's page only
// (src/lib/faces/driver/offline-shell.ts), the worker caches the app's built files at install, and
// the driver page is answered from the network when there is one, else from its last copy (its
// taps and positions wait in the page and go when the network returns). Nothing else is cached:
// the API, the socket and every other page always go to the server.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `ocpizza-${version}`;
const ASSETS = new Set([...build, ...files.filter((f) => /\.(png|svg|webmanifest)$/.test(f))]);

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // the page needs a driver's session: a phone where it is not (a customer's, a kitchen's, whose
      // browser met this worker from an earlier version that every page registered) keeps nothing,
      // and the worker goes once active (below)
      const shell = await fetch('/driver', { credentials: 'include' }).catch(() => null);
      if (shell?.ok && !shell.redirected) {
        const cache = await caches.open(CACHE);
        await cache.addAll([...ASSETS]);
        await cache.put('/driver', shell);
      }
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      if (!(await caches.match('/driver'))) {
        // nothing to keep here: no driver's page on this phone
        await caches.delete(CACHE);
        await sw.registration.unregister();
        return;
      }
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  if (ASSETS.has(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(req)));
    return;
  }
  if (req.mode === 'navigate' && url.pathname === '/driver') {
    event.respondWith(
      (async () => {
        try {
          const res = await fetch(req);
          if (res.ok && !res.redirected) await (await caches.open(CACHE)).put('/driver', res.clone());
          return res;
        } catch {
          return (await caches.match('/driver')) ?? Response.error();
        }
      })(),
    );
  }
});

/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The driver's phone keeps working in a tunnel: the app's built files are cached at install, and
// the driver page is answered from the network when there is one, else from its last copy (its
// taps and positions wait in the page and go when the network returns). Nothing else is cached:
// the API, the socket and every other page always go to the server.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `ocpizza-${version}`;
const SHELL = ['/driver', '/manifest.webmanifest'];
const ASSETS = new Set([...build, ...files.filter((f) => /\.(png|svg|webmanifest)$/.test(f))]);

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...ASSETS]);
      // the page needs a session: cached only if this phone is logged in (an error page is not kept)
      await Promise.all(SHELL.map((url) => fetch(url, { credentials: 'include' }).then((res) => (res.ok && !res.redirected ? cache.put(url, res) : undefined)).catch(() => {})));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
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

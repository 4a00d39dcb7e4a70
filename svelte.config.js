import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // forms and API calls come from our own pages; the Express server enforces Origin for the API
    csrf: { trustedOrigins: [] },
    // the service worker (src/service-worker.ts) keeps the driver's page for a tunnel: only that page
    // registers it (src/lib/faces/driver/offline-shell.ts). Registered by every page, as SvelteKit
    // does by default, it made a customer's first visit fetch every file of the whole app (235
    // requests for the storefront's 58)
    serviceWorker: { register: false },
    // the pages' Content Security Policy: scripts only from this site (SvelteKit's own inline start-up
    // script carries a nonce) and Stripe's, images also from the map tile server (any https origin:
    // MAP_TILE_URL is set at run time), the socket and API on this site (and Stripe's API for its card
    // form), no frame but Stripe's, no plugin
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        // Stripe's card form (Stripe.js and its frames) when Stripe's keys are set
        'script-src': ['self', 'https://js.stripe.com', 'https://*.js.stripe.com'],
        'frame-src': ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
        // Leaflet and Svelte set style attributes
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:', 'https:'],
        'font-src': ['self'],
        'connect-src': ['self', 'https://api.stripe.com'],
        'worker-src': ['self'],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

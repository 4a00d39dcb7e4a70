import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // forms and API calls come from our own pages; the Express server enforces Origin for the API
    csrf: { trustedOrigins: [] },
    // the pages' Content Security Policy: scripts only from this site (SvelteKit's own inline start-up
    // script carries a nonce), images also from the map tile server (any https origin: MAP_TILE_URL is
    // set at run time), the socket and API on this site, nothing framed, no plugin
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        // Leaflet and Svelte set style attributes
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:', 'https:'],
        'font-src': ['self'],
        'connect-src': ['self'],
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

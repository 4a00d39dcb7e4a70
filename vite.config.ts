import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { devHub } from './server/vite-dev-hub.ts';

export default defineConfig({
  plugins: [sveltekit(), devHub()],
});

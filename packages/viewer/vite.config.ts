// Builds the viewer into dist/, which `bun run cli serve` serves. `vite` (dev) proxies /api to a
// running server: MAGA_API=http://127.0.0.1:8080 by default.
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const api = process.env.MAGA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [solid()],
  // Relative asset paths: the app works from any mount point (routing is in the URL's hash).
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // three.js is one ~700 kB chunk, loaded only by the latent map.
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: true } } },
});

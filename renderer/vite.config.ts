import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is served from app://talkbatch (Electron) or from server mode: relative asset URLs.
export default defineConfig({
  root: __dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});

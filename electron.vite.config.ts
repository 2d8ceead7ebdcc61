import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Entries follow electron-vite's conventions: src/main/index.ts, src/preload/index.ts,
// src/renderer/index.html. Output goes to out/{main,preload,renderer}.
export default defineConfig({
  main: {
    build: {
      // h5wasm ships its WASM next to its JS; keep it (and ws, msgpack) external, loaded from node_modules.
      externalizeDeps: true,
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be one self-contained CommonJS file.
      externalizeDeps: false,
      rollupOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    plugins: [react()],
  },
});

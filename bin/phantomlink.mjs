#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx phantomlink serve` works right after
// `npm install`, with no build step and no Electron runtime.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli.ts');

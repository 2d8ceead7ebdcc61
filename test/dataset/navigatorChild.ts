/**
 * Run by navigator.test.ts in a fresh `node --import tsx` process: defines `globalThis.navigator`
 * the way Electron's main process does BEFORE h5wasm is first imported, then writes and loads NWB
 * files. Prints one JSON line with what happened.
 * Usage: node --import tsx navigatorChild.ts <fixture.nwb> <scratch dir>
 */
export {}; // a module, so top-level await is allowed

const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Electron/41.0.0 Safari/537.36';
Object.defineProperty(globalThis, 'navigator', { value: { userAgent }, configurable: true, writable: true });

const [fixture, dir] = process.argv.slice(2);
const { join } = await import('node:path');
const { loadDataset } = await import('../../src/main/dataset/loadDataset.ts');
const { writeMcMazeNwb } = await import('../../src/main/dataset/nwbWriter.ts');
const { smallMcMaze } = await import('./helpers.ts');

const fromFixture = await loadDataset(fixture);
const written = join(dir, 'navigator-written.nwb');
await writeMcMazeNwb(written, smallMcMaze());
const fromWriter = await loadDataset(written);
const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
console.log(
  JSON.stringify({
    fixtureUnits: fromFixture.numUnits,
    fixtureSpikes: fromFixture.totalSpikes,
    writtenUnits: fromWriter.numUnits,
    writtenBins: fromWriter.numBins,
    navigatorRestored: nav?.userAgent === userAgent,
  }),
);

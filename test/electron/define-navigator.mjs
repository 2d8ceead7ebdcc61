// Electron's main process defines globalThis.navigator (Node 21+ does too); h5wasm's start-up
// mistakes such a process for a browser unless the loader hides it. Reproduce that here.
Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Electron (stand-in)' }, configurable: true, writable: true });

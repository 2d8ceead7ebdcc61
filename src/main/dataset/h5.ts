import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatasetError } from './errors.ts';

type H5Module = typeof import('h5wasm/node').default;

let loading: Promise<H5Module> | null = null;

/**
 * Loads h5wasm once.
 *
 * Electron's main process defines `globalThis.navigator`; h5wasm's emscripten start-up then
 * believes it runs in a browser and fails. h5wasm's README prescribes hiding `navigator`
 * around the import and `ready`, and restoring it afterwards.
 */
export function loadH5wasm(): Promise<H5Module> {
  loading ??= (async () => {
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    if (desc) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true, writable: true });
    try {
      const h5wasm = (await import('h5wasm/node')).default;
      const module = await h5wasm.ready;
      // HDF5 errors become JS exceptions instead of HDF5-DIAG dumps on stderr (we report our own).
      module.activate_throwing_error_handler();
      return h5wasm;
    } finally {
      if (desc) Object.defineProperty(globalThis, 'navigator', desc);
    }
  })();
  return loading;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Opens an HDF5 file read-only, lazily. h5wasm does not throw on a missing or non-HDF5 file
 * (it hands back a negative file id and later calls fail oddly), so check first.
 * The signature may sit at 0, 512, 1024, … (a user block precedes it in some files).
 */
export async function openHdf5(path: string): Promise<InstanceType<H5Module['File']>> {
  const abs = resolve(path);
  let size: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new DatasetError(abs, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(abs, code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`);
  }
  if (!hasHdf5Signature(abs, size)) throw new DatasetError(abs, 'not an HDF5 file (no HDF5 signature); NWB files are HDF5');
  const h5wasm = await loadH5wasm();
  let file: InstanceType<H5Module['File']>;
  try {
    file = new h5wasm.File(abs, 'r');
  } catch (err) {
    throw new DatasetError(abs, `HDF5 cannot open it: ${hdf5Reason(err)}`);
  }
  if (file.file_id < 0n) throw new DatasetError(abs, 'HDF5 library could not open the file (corrupt or truncated?)');
  return file;
}

function hasHdf5Signature(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size && offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
      readSync(fd, buf, 0, 8, offset);
      if (buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * The innermost reason of an HDF5 error stack ("truncated file: eof = …"), for people; the
 * whole HDF5-DIAG dump is not.
 */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const reasons = [...text.matchAll(/#\d+: .*? in [\w.]+\(\): (.+)/g)].map((m) => m[1].trim());
  return reasons.at(-1) ?? text.split('\n')[0].slice(0, 300);
}

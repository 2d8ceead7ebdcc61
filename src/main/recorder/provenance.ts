import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname, platform } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../common/packageRoot.ts';
import { log } from '../common/log.ts';
import type { RecordingManifest } from './format.ts';

const hashes = new Map<string, Promise<string | null>>();

/**
 * SHA-256 of a dataset file, streamed (a 1 GB NWB file never sits in memory) and remembered per
 * path, size and mtime, so many recordings of one file hash it once. Null when it cannot be read.
 */
export async function fileSha256(path: string): Promise<string | null> {
  let key: string;
  try {
    const st = await stat(path);
    key = `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return null;
  }
  let h = hashes.get(key);
  if (!h) {
    h = new Promise((resolve) => {
      const hash = createHash('sha256');
      createReadStream(path)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', (err) => {
          log.warn('recording_hash_failed', { file: path, error: err.message });
          hashes.delete(key);
          resolve(null);
        });
    });
    hashes.set(key, h);
  }
  return h;
}

let commit: Promise<string | null> | null = null;

/** The git commit the app runs from, when its package root is a git checkout; else null (never fails). */
export function gitCommit(): Promise<string | null> {
  commit ??= new Promise((resolve) => {
    let root: string;
    try {
      root = packageRoot();
    } catch {
      return resolve(null);
    }
    if (!existsSync(join(root, '.git'))) return resolve(null);
    execFile('git', ['rev-parse', 'HEAD'], { cwd: root, timeout: 5000 }, (err, stdout) => {
      const sha = String(stdout).trim();
      resolve(!err && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null);
    });
  });
  return commit;
}

export function hostInfo(): RecordingManifest['host'] {
  return { hostname: hostname(), platform: platform(), node: process.version };
}

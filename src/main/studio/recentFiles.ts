import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The studio's recent NWB files, newest first, kept in a small JSON file. */
export class RecentFiles {
  constructor(
    private readonly file: string,
    private readonly max = 10,
  ) {}

  async list(): Promise<string[]> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, this.max) : [];
    } catch {
      return []; // missing or damaged: start over rather than fail the UI
    }
  }

  async add(path: string): Promise<void> {
    const next = [path, ...(await this.list()).filter((p) => p !== path)].slice(0, this.max);
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 2));
    await rename(tmp, this.file);
  }
}

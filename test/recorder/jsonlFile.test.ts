/**
 * A recording's log file hands its line buffers on to the next recording's when it closes: what
 * one writes must never land in another's file, whatever is appended after the close.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlFile } from '../../src/main/recorder/jsonlFile.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pl-jsonl-'));
  dirs.push(d);
  return d;
}

describe('JsonlFile', () => {
  it('lines appended after a close are dropped, and never reach the file that reuses its buffers', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const first = await JsonlFile.open(join(dir, 'first.jsonl'), (e) => errors.push(e));
    first.append('{"n":1}\n');
    await first.close();

    // The next log takes the writers the first gave back.
    const second = await JsonlFile.open(join(dir, 'second.jsonl'), (e) => errors.push(e));
    first.append('{"late":true}\n');
    second.append('{"n":2}\n');
    first.append('{"late":true}\n');
    await second.close();

    expect(readFileSync(join(dir, 'first.jsonl'), 'utf8')).toBe('{"n":1}\n');
    expect(readFileSync(join(dir, 'second.jsonl'), 'utf8')).toBe('{"n":2}\n');
    expect(first.bytes).toBe(8);
    expect(errors).toEqual([]);
  });

  it('many logs opened and closed in turn write their own lines, however large', async () => {
    const dir = tempDir();
    const big = `${'x'.repeat(70_000)}\n`; // grows a writer past its first size
    for (let i = 0; i < 5; i++) {
      const f = await JsonlFile.open(join(dir, `${i}.jsonl`), () => {});
      f.append(i % 2 === 0 ? big : `{"i":${i}}\n`);
      await f.close();
    }
    for (let i = 0; i < 5; i++) expect(readFileSync(join(dir, `${i}.jsonl`), 'utf8')).toBe(i % 2 === 0 ? big : `{"i":${i}}\n`);
  });
});

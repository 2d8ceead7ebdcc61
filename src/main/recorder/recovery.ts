import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RECORDING_FILES, type RecordingManifest } from './format.ts';
import { writeManifestAtomically } from './recorder.ts';

/** Cuts a log back to its last complete line (a killed process may have left half of one). */
async function dropPartialLine(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const fh = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep !== size) await truncate(path, keep);
        return;
      }
      end = start;
    }
    await truncate(path, 0);
  } finally {
    await fh.close();
  }
}

/** Every complete line of a log, streamed (a one-hour log never sits in memory whole). */
async function eachLine(path: string, fn: (line: string) => void): Promise<void> {
  let input;
  try {
    await stat(path);
    input = createReadStream(path, { encoding: 'utf8' });
  } catch {
    return;
  }
  for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line) fn(line);
}

const T_MS = /"t_ms":(-?[\d.e+-]+)/;
const DECODER = /^\{"decoder":("(?:[^"\\]|\\.)*")/;

/**
 * Closes a recording its process never finished (killed, crashed, power cut): partial trailing
 * lines are dropped, the counts are taken from the logs, the stop time is the last record's, and
 * the manifest says `recovered`. Returns the new manifest.
 */
export async function recoverRecording(dir: string, m: RecordingManifest): Promise<RecordingManifest> {
  const file = (name: keyof typeof RECORDING_FILES) => join(dir, RECORDING_FILES[name]);
  let lastT = 0;
  const seeT = (line: string) => {
    const t = Number(T_MS.exec(line)?.[1]);
    if (Number.isFinite(t) && t > lastT) lastT = t;
  };
  const counts = { packets: 0, predictions: 0, events: 0 };
  const decoders = [...m.decoders];
  const saw = (name: string, version: string | null, endpoint: string) => {
    if (!decoders.some((d) => d.name === name)) decoders.push({ name, version, endpoint });
  };
  let best: RecordingManifest['best_score'] = m.best_score ?? null;

  for (const name of ['packets', 'predictions', 'events', 'scores'] as const) await dropPartialLine(file(name));
  await eachLine(file('packets'), (line) => {
    counts.packets++;
    seeT(line);
  });
  await eachLine(file('predictions'), (line) => {
    counts.predictions++;
    seeT(line);
    const d = DECODER.exec(line);
    if (d) saw(JSON.parse(d[1]) as string, null, 'unknown');
  });
  await eachLine(file('events'), (line) => {
    counts.events++;
    seeT(line);
    try {
      const e = JSON.parse(line) as { kind: string; detail: { decoder?: string; version?: string | null; endpoint?: string } };
      if (e.kind === 'decoder_connected' && e.detail.decoder) saw(e.detail.decoder, e.detail.version ?? null, e.detail.endpoint ?? 'unknown');
    } catch {
      /* a damaged line: counted, its contents skipped */
    }
  });
  let lastScores = '';
  await eachLine(file('scores'), (line) => {
    seeT(line);
    lastScores = line;
  });
  if (lastScores) {
    try {
      for (const d of (JSON.parse(lastScores) as { decoders: Array<{ name: string; cumulative: { r2: number | null } }> }).decoders) {
        const r2 = d.cumulative?.r2;
        if (typeof r2 === 'number' && (best === null || r2 > best.r2)) best = { decoder: d.name, r2 };
      }
    } catch {
      /* keep the best the manifest had */
    }
  }
  const duration = Math.round(lastT) / 1000;
  const recovered: RecordingManifest = {
    ...m,
    status: 'recovered',
    stopped_at: new Date(Date.parse(m.started_at) + lastT).toISOString(),
    duration_s: duration,
    decoders,
    counts,
    best_score: best,
  };
  await writeManifestAtomically(dir, recovered);
  return recovered;
}

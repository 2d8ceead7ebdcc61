import { writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LineWriter, giveBackLineWriter, takeLineWriter } from './lineWriter.ts';
import { writePath, type WritePath } from './writePath.ts';

/**
 * One append-only log file of a recording. Lines are formatted into `writer` (by the flush timer,
 * never the tick) and `commit` hands them to the kernel, at once or through the thread pool
 * (writePath.ts). Through the pool one write is in flight at a time, so lines land whole and in
 * order, and what was formatted meanwhile goes out in the next one; two LineWriters take turns
 * (one being written out, one filling), reused for the file's life. The first error (disk full,
 * folder gone…) is kept and reported once through `onError`; what comes after is dropped.
 */
export class JsonlFile {
  /** Where the next lines go; `commit` sends them. */
  writer = takeLineWriter();
  private spare = takeLineWriter();
  private writing: Promise<void> | null = null;
  private failed = false;
  private closed = false;
  /** Bytes handed to the kernel so far. */
  bytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private readonly onError: (err: unknown, file: JsonlFile) => void,
    private readonly via: WritePath,
  ) {}

  static async open(path: string, onError: (err: unknown, file: JsonlFile) => void, via: WritePath = writePath): Promise<JsonlFile> {
    return new JsonlFile(await open(path, 'a'), path, onError, via);
  }

  /** A line (or lines) made as a string: events and score snapshots, a few a second. */
  append(text: string): void {
    if (text.length === 0) return;
    this.writer.text(text);
    this.commit();
  }

  /** Sends what `writer` holds, now or after the write in flight. */
  commit(): void {
    if (this.failed || this.closed) return this.writer.clear();
    if (this.writer.length === 0) return;
    if (!this.writing && this.via.onEventLoop) return this.writeNow();
    this.writing ??= this.drain();
  }

  private writeNow(): void {
    const bytes = this.writer.view();
    const t0 = performance.now();
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.handle.fd, bytes, off, bytes.length - off);
    } catch (err) {
      this.failed = true;
      this.writer.clear();
      this.onError(err, this);
      return;
    }
    this.bytes += bytes.length;
    this.writer.clear();
    this.via.wrote(performance.now() - t0, this.path, bytes.length);
  }

  /** Resolves when everything committed so far is written (or the file failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what was committed, closes the file and gives its writers back; later lines are dropped. */
  async close(): Promise<void> {
    await this.flushed();
    if (!this.closed) {
      this.closed = true;
      giveBackLineWriter(this.writer);
      giveBackLineWriter(this.spare);
      this.writer = new LineWriter(0);
      this.spare = this.writer;
    }
    await this.handle.close().catch(() => {});
  }

  private async drain(): Promise<void> {
    try {
      while (this.writer.length > 0 && !this.failed) {
        const full = this.writer;
        this.writer = this.spare;
        this.spare = full;
        const bytes = full.view();
        let off = 0;
        while (off < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, off, bytes.length - off);
          off += bytesWritten;
        }
        this.bytes += bytes.length;
        full.clear();
      }
    } catch (err) {
      this.failed = true;
      this.writer.clear();
      this.spare.clear();
      this.onError(err, this);
    } finally {
      this.writing = null;
    }
  }
}

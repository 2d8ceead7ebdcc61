/**
 * Fitting off the socket's thread. The fit (a few Cholesky solves of a ~700×700 system) takes
 * seconds; done on the main thread it would stop the decoder from reading its socket, and the
 * server would count it as a slow client (its packets dropped, and after 5 s closed with 4408).
 * So the fit runs in a worker thread while the main thread keeps reading.
 *
 * The worker runs the decoder's own entry module again (the `phantomlink` CLI bundle, started
 * with the `decoder` command), which sees it is a worker (`isFitWorker()`) and fits instead of
 * connecting. If no worker can be started, the fit runs on the main thread (and says so).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { PackedSamples } from './features.ts';
import { trainRidge, type TrainOptions, type TrainReport } from './train.ts';

const JOB = 'phantomlink-decoder-fit';

interface Job {
  job: typeof JOB;
  samples: PackedSamples;
  options: TrainOptions;
}

type Reply = { ok: true; report: TrainReport } | { ok: false; error: string };

/** Is this thread a fit worker (started by `fitOffThread`)? */
export function isFitWorker(): boolean {
  return !isMainThread && (workerData as Job | null)?.job === JOB;
}

/** The worker's body: fit, post the report, end. */
export function runFitWorker(): void {
  const { samples, options } = workerData as Job;
  let reply: Reply;
  try {
    reply = { ok: true, report: trainRidge(samples, options) };
  } catch (err) {
    reply = { ok: false, error: (err as Error)?.message ?? String(err) };
  }
  parentPort!.postMessage(reply);
}

export interface FitJob {
  /** The report, and where the fit ran. Rejects if the fit itself failed. */
  done: Promise<{ report: TrainReport; where: 'worker thread' | 'main thread'; note?: string }>;
  /** Stops a running worker (the promise then never settles). */
  cancel(): void;
}

/**
 * Fits in a worker started on `entry` (the module that calls `runFitWorker()` when
 * `isFitWorker()`), with `argv` as its command line; on the main thread when `entry` is null or
 * a worker cannot start.
 */
export function fitOffThread(entry: URL | null, argv: string[], samples: PackedSamples, options: TrainOptions): FitJob {
  let worker: Worker | null = null;
  let cancelled = false;
  const inThread = (note?: string) => {
    const report = trainRidge(samples, options);
    return { report, where: 'main thread' as const, note };
  };
  const done = new Promise<Awaited<FitJob['done']>>((resolve, reject) => {
    if (!entry) {
      // Let the caller print "fitting…" before the thread is busy.
      setImmediate(() => {
        try {
          resolve(inThread());
        } catch (err) {
          reject(err);
        }
      });
      return;
    }
    let settled = false;
    const fallback = (why: string) => {
      if (settled || cancelled) return;
      settled = true;
      try {
        resolve(inThread(`no worker thread (${why}): fitted on the main thread`));
      } catch (err) {
        reject(err);
      }
    };
    try {
      worker = new Worker(entry, { workerData: { job: JOB, samples, options } satisfies Job, argv });
    } catch (err) {
      return fallback((err as Error).message);
    }
    worker.once('message', (reply: Reply) => {
      if (settled) return;
      settled = true;
      if (reply.ok) resolve({ report: reply.report, where: 'worker thread' });
      else reject(new Error(reply.error));
    });
    worker.once('error', (err) => fallback(err.message));
    worker.once('exit', (code) => fallback(`it exited with code ${code} before answering`));
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      void worker?.terminate();
    },
  };
}

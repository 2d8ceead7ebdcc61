import { DatasetError } from '../dataset/errors.ts';
import { loadDataset } from '../dataset/loadDataset.ts';
import { builtinRecordingPath, type SyntheticPreset } from '../dataset/synthetic/builtin.ts';
import type { Dataset } from '../dataset/types.ts';
import { SessionManager, type SessionManagerOptions } from './sessionManager.ts';
import { CloseCode } from '../../shared/wire.ts';
import { log } from '../common/log.ts';

export type LoadProgress = (stage: string, fraction: number) => void;

export interface EngineOptions {
  /** An NWB file to play; without one the built-in synthetic recording is used. */
  datasetPath?: string;
  preset?: SyntheticPreset;
  /** Where the built-in recording is cached. */
  cacheDir?: string;
  sessions?: SessionManagerOptions;
  onProgress?: LoadProgress;
}

/**
 * The one engine every face shares: the loaded dataset and the sessions playing it.
 * The stream endpoints, REST and the studio all subscribe to it; none keeps playback state
 * of its own.
 */
export class Engine {
  private loading: Promise<Dataset> | null = null;
  private readonly datasetListeners = new Set<(ds: Dataset) => void>();

  /** `cacheDir`: where the built-in recording is cached (exports reopen it from there). */
  private constructor(
    readonly sessions: SessionManager,
    readonly cacheDir: string | undefined,
  ) {}

  static async start(opts: EngineOptions = {}): Promise<Engine> {
    const dataset = opts.datasetPath
      ? await loadDataset(opts.datasetPath, { onProgress: opts.onProgress })
      : await loadBuiltin(opts.preset ?? 'default', opts.cacheDir, opts.onProgress);
    return new Engine(new SessionManager(dataset, opts.sessions), opts.cacheDir);
  }

  get dataset(): Dataset {
    return this.sessions.currentDataset;
  }

  get isLoading(): boolean {
    return this.loading !== null;
  }

  /**
   * Loads another file and swaps it in for every session. On any failure the previous
   * dataset stays loaded and streaming, and the DatasetError says what was wrong.
   */
  async openDataset(path: string, onProgress?: LoadProgress): Promise<Dataset> {
    if (typeof path !== 'string' || path.trim() === '') throw new DatasetError(String(path), 'no file path given');
    if (this.loading) throw new DatasetError(path, 'another dataset is still loading; try again when it finishes');
    const loading = loadDataset(path, { onProgress });
    this.loading = loading;
    try {
      const ds = await loading.catch((err) => {
        log.warn('dataset_refused', { file: path, error: err instanceof Error ? err.message : String(err) });
        throw err;
      });
      log.info('dataset_loaded', { file: ds.provenance.path, units: ds.numUnits, trials: ds.trials.length, duration_s: ds.durationSeconds });
      this.sessions.setDataset(ds);
      for (const l of this.datasetListeners) l(ds);
      return ds;
    } finally {
      this.loading = null;
    }
  }

  onDatasetChanged(listener: (ds: Dataset) => void): () => void {
    this.datasetListeners.add(listener);
    return () => this.datasetListeners.delete(listener);
  }

  close(reason = 'server shutting down'): void {
    this.sessions.closeAll(CloseCode.GoingAway, reason);
  }
}

export async function loadBuiltin(preset: SyntheticPreset, cacheDir?: string, onProgress?: LoadProgress): Promise<Dataset> {
  onProgress?.(`preparing the built-in ${preset} recording`, 0);
  const path = await builtinRecordingPath(preset, { cacheDir });
  return loadDataset(path, { synthetic: true, onProgress });
}

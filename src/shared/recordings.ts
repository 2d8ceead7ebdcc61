/**
 * What the faces (REST, the studio) need of the recorder, which the entry point wires to them:
 * faces never import one another. Ids are folder names, checked by the recorder (any other string
 * is refused with `invalid_recording_id`); every method rejects with the engine's refusals.
 */
import type { ExportFormat, ExportJob, RecordedEvent, RecordingSummary } from './studioApi.ts';
import type { DecoderSummary } from './studioApi.ts';

/** A recording as stored: its manifest (format.ts), events and score snapshots, unprojected. */
export interface StoredRecording {
  summary: RecordingSummary;
  manifest: Record<string, unknown>;
  events: RecordedEvent[];
  scores: Array<{ t_ms: number; decoders: DecoderSummary[] }>;
}

export interface RecordingService {
  /** The folder recordings go to. */
  readonly root: string;
  start(code: string): Promise<RecordingSummary>;
  stop(code: string): Promise<RecordingSummary>;
  /** The recording running on a session, if any. */
  activeOn(code: string): { id: string; startedAt: string } | null;
  list(): Promise<RecordingSummary[]>;
  get(id: string): Promise<StoredRecording>;
  delete(id: string): Promise<void>;
  /** Started, stopped, failed, deleted. */
  onChange(listener: () => void): () => void;
  /**
   * Starts exporting a stopped recording to NWB or CSV (into its folder, in a process of its
   * own): resolves once started (rejects with a refusal: bad id, none, still recording), with
   * `done` resolving when the export ends, done or failed. A second call while one runs joins it.
   */
  export(id: string, format: ExportFormat): Promise<{ job: ExportJob; done: Promise<ExportJob> }>;
  /** Exports running and recently ended, newest last. */
  exports(): ExportJob[];
  /** Every change of an export: progress, end. */
  onExport(listener: (job: ExportJob) => void): () => void;
}

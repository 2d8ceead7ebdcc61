/**
 * Argument checks for every StudioApi command and event. IPC and studio-channel arguments
 * come from a renderer we do not trust to be well-formed: nothing reaches the engine unchecked.
 */
import { EXPORT_FORMATS, isExportFormat, type CreateSessionRequest, type ExportFormat, type StudioCommand, type StudioCommandMap, type StudioEvent, type StudioEventMap } from '../../shared/studioApi.ts';
import { EVALUATION_WINDOWS, isValidSessionCode, type EvaluationWindow, type Perturbations, type SessionFilters } from '../../shared/wire.ts';
import { checkPerturbations } from '../playback/perturbations.ts';
import { BIN_WIDTHS_MS, isBinWidth } from '../../shared/bins.ts';
import { ParamError } from '../common/errors.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { parseRedisConfig, type RedisConfig } from '../../shared/redisConfig.ts';

type Check<T> = (v: unknown, name: string) => T;

const show = (v: unknown) => describeValue(v);

const code: Check<string> = (v, name) => {
  if (typeof v !== 'string' || !isValidSessionCode(v)) throw new ParamError(`${name} must be a session code (1–64 letters, digits, "-", "_"), got ${show(v)}`);
  return v;
};
const finite: Check<number> = (v, name) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamError(`${name} must be a finite number, got ${show(v)}`);
  return v;
};
const bool: Check<boolean> = (v, name) => {
  if (typeof v !== 'boolean') throw new ParamError(`${name} must be true or false, got ${show(v)}`);
  return v;
};
const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (v, name) =>
    v === undefined ? undefined : check(v, name);
const id: Check<number | null> = (v, name) => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ParamError(`${name} must be a non-negative integer or null, got ${show(v)}`);
  return v;
};
const plainObject = (v: unknown, name: string): Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ParamError(`${name} must be an object, got ${show(v)}`);
  return v as Record<string, unknown>;
};
const filters: Check<SessionFilters> = (v, name) => {
  const o = plainObject(v, name);
  return { trial_id: id(o.trial_id, `${name}.trial_id`), target_id: id(o.target_id, `${name}.target_id`) };
};
const path: Check<string> = (v, name) => {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 4096 || v.includes('\0')) throw new ParamError(`${name} must be a file path, got ${show(v)}`);
  return v;
};
/** Only its type here: what an id may look like is the recorder's one rule (recorder/ids.ts). */
const recordingId: Check<string> = (v, name) => {
  if (typeof v !== 'string') throw new ParamError(`${name} must be a recording id (a folder name like "demo_20261206-161502Z"), got ${show(v)}`);
  return v;
};
const exportFormat: Check<ExportFormat> = (v, name) => {
  if (!isExportFormat(v)) throw new ParamError(`${name} must be ${EXPORT_FORMATS.map((f) => `"${f}"`).join(' or ')}, got ${show(v)}`);
  return v;
};
const evaluationWindow: Check<EvaluationWindow> = (v, name) => {
  if (typeof v !== 'string' || !(EVALUATION_WINDOWS as readonly string[]).includes(v)) {
    throw new ParamError(`${name} must be one of ${EVALUATION_WINDOWS.join(', ')}, got ${show(v)}`);
  }
  return v as EvaluationWindow;
};
/** Checked by the engine's one rule for perturbations, whichever edge they come from. */
const perturbations: Check<Perturbations | null> = (v) => checkPerturbations(v);
const binWidth: Check<number> = (v, name) => {
  if (!isBinWidth(v)) throw new ParamError(`${name} must be one of ${BIN_WIDTHS_MS.join(', ')} (ms), got ${show(v)}`);
  return v;
};
const createRequest: Check<CreateSessionRequest> = (v, name) => {
  const o = plainObject(v, name);
  const known = new Set(['code', 'filters', 'speed', 'loop', 'paused', 'blind', 'evaluate', 'binMs', 'perturbations']);
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length) throw new ParamError(`${name} has unknown field(s) ${extra.join(', ')}`);
  return {
    code: o.code === undefined || o.code === '' ? undefined : code(o.code, `${name}.code`),
    filters: optional(filters)(o.filters, `${name}.filters`),
    speed: optional(finite)(o.speed, `${name}.speed`),
    loop: optional(bool)(o.loop, `${name}.loop`),
    paused: optional(bool)(o.paused, `${name}.paused`),
    blind: optional(bool)(o.blind, `${name}.blind`),
    evaluate: optional(evaluationWindow)(o.evaluate, `${name}.evaluate`),
    binMs: optional(binWidth)(o.binMs, `${name}.binMs`),
    perturbations: perturbations(o.perturbations, `${name}.perturbations`),
  };
};

/** The bridge's settings, by the same parser as the CLI's flags. */
const redisConfig: Check<RedisConfig> = (v, name) => {
  const c = parseRedisConfig(v);
  if ('problem' in c) throw new ParamError(`${name}: ${c.problem}`);
  return c;
};

/** One check per argument position; a generic parameter keeps the mapping a tuple. */
type Checks<T extends unknown[]> = { [I in keyof T]: Check<T[I]> };
type ArgChecks<M extends { [K in keyof M]: { args: unknown[] } }> = { [K in keyof M]: Checks<M[K]['args']> };

const commandChecks: ArgChecks<StudioCommandMap> = {
  listSessions: [],
  createSession: [createRequest],
  deleteSession: [code],
  play: [code],
  pause: [code],
  stop: [code],
  seek: [code, finite],
  setSpeed: [code, finite],
  setLoop: [code, bool],
  setFilters: [code, filters],
  setPerturbations: [code, perturbations],
  getPlayback: [code],
  openDataset: [path],
  chooseDataset: [],
  recentDatasets: [],
  setPresentation: [bool],
  getDataset: [],
  getTrials: [],
  getTargets: [],
  serverInfo: [],
  resetScores: [code],
  startReferenceDecoder: [code],
  stopReferenceDecoder: [code],
  redisConnect: [redisConfig],
  redisDisconnect: [],
  redisStatus: [],
  startRecording: [code],
  stopRecording: [code],
  listRecordings: [],
  getRecording: [recordingId],
  deleteRecording: [recordingId],
  exportRecording: [recordingId, exportFormat],
};

const eventChecks: ArgChecks<StudioEventMap> = {
  sessions: [],
  playback: [code],
  packets: [code],
  clients: [],
  metrics: [],
  dataset: [],
  presentation: [],
  scoreboard: [code],
  redis: [],
  recordings: [],
  exports: [],
};

function checkArgs(what: string, checks: readonly Check<unknown>[], args: unknown): unknown[] {
  if (!Array.isArray(args)) throw new ParamError(`${what}: arguments must be an array`);
  if (args.length !== checks.length) throw new ParamError(`${what} takes ${checks.length} argument(s), got ${args.length}`);
  return checks.map((check, i) => check(args[i], `${what} argument ${i + 1}`));
}

export function validateCommandArgs<K extends StudioCommand>(command: K, args: unknown): StudioCommandMap[K]['args'] {
  return checkArgs(command, commandChecks[command] as readonly Check<unknown>[], args) as StudioCommandMap[K]['args'];
}

export function validateEventArgs<E extends StudioEvent>(event: E, args: unknown): StudioEventMap[E]['args'] {
  return checkArgs(event, eventChecks[event] as readonly Check<unknown>[], args) as StudioEventMap[E]['args'];
}

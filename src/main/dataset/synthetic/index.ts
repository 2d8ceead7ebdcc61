/**
 * The built-in synthetic recording: public API.
 * - `builtinRecordingPath` — the cached NWB file (generated on first use); what the engine loads.
 * - `generateMcMazeLike` — the recording in memory (McMazeRecording), deterministic from a seed.
 * - `generateSyntheticSession` — the same plus the model's ground truth (tuning, reach ends).
 * The generative model is documented in model.ts.
 */
export { builtinCacheFileName, builtinRecordingPath, defaultCacheDir, type BuiltinOptions } from './builtin.ts';
export { syntheticNotes, syntheticSummary } from './describe.ts';
export { generateMcMazeLike, generateSyntheticSession, type SyntheticTruth } from './model.ts';
export type { UnitTuning } from './neurons.ts';
export { isSyntheticPreset, MODEL_VERSION, SYNTHETIC_PRESETS, type PresetSpec, type SyntheticPreset } from './presets.ts';

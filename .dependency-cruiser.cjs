/**
 * The layers of PhantomLink Studio, checked on every `npm test` (dependency-cruiser).
 *
 *   src/shared ← main/common ← main/dataset ← main/playback ← main/evaluation ← faces ← entry points
 *                                                               main/http  ↗
 *
 * faces: main/streams (decoders), main/rest (REST, metrics), main/studio (StudioApi on the
 * engine), main/recorder (recordings and their export), main/redis (Redis Streams, BRAND); entry points: main/index.ts (Electron), main/cli.ts (headless) and main/server.ts,
 * which mounts the faces for both. The renderer and the preload see only src/shared; so does
 * src/decoder, the reference decoder, a client of the wire contract like any other.
 */
const FACES = '(streams|rest|studio|recorder|redis)';
const ENTRY = 'src/main/(index|cli|server)[.]ts$';

/** Everything in src/main above a layer: what that layer must not import. */
const faces = FACES.slice(1, -1);
const above = {
  common: `^src/main/(dataset|playback|evaluation|http|${faces})/|^${ENTRY}`,
  dataset: `^src/main/(playback|evaluation|http|${faces})/|^${ENTRY}`,
  playback: `^src/main/(evaluation|http|${faces})/|^${ENTRY}`,
  evaluation: `^src/main/(http|${faces})/|^${ENTRY}`,
  http: `^src/main/(dataset|playback|evaluation|${faces})/|^${ENTRY}`,
};

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules import one another in a cycle: move the shared part down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/shared is the contract between engine and UI: it may import only itself.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'shared-is-platform-neutral',
      severity: 'error',
      comment: 'src/shared runs in Node and in the renderer: no Node built-ins.',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'common-imports-no-layer-above',
      severity: 'error',
      comment: 'main/common (logging, errors, version) is below every layer of main.',
      from: { path: '^src/main/common/' },
      to: { path: above.common },
    },
    {
      name: 'dataset-imports-no-layer-above',
      severity: 'error',
      comment: 'main/dataset reads and bins files; it knows nothing of playback, faces or hosts.',
      from: { path: '^src/main/dataset/' },
      to: { path: above.dataset },
    },
    {
      name: 'playback-imports-no-face',
      severity: 'error',
      comment: 'main/playback owns time and builds packets; faces subscribe to it, never the reverse.',
      from: { path: '^src/main/playback/' },
      to: { path: above.playback },
    },
    {
      name: 'evaluation-imports-no-face',
      severity: 'error',
      comment: 'main/evaluation scores what playback sent; the faces feed it predictions and read its scores.',
      from: { path: '^src/main/evaluation/' },
      to: { path: above.evaluation },
    },
    {
      name: 'http-knows-no-face',
      severity: 'error',
      comment: 'main/http is a plain listener and upgrade router; faces mount themselves on it.',
      from: { path: '^src/main/http/' },
      to: { path: above.http },
    },
    {
      name: 'faces-do-not-import-each-other',
      severity: 'error',
      comment: 'A face reaches another only through the engine or an interface the entry point wires.',
      from: { path: `^src/main/${FACES}/` },
      to: { path: `^src/main/${FACES}/`, pathNot: '^src/main/$1/' },
    },
    {
      name: 'faces-do-not-import-entry-points',
      severity: 'error',
      from: { path: `^src/main/${FACES}/` },
      to: { path: `^${ENTRY}` },
    },
    {
      name: 'renderer-imports-only-shared',
      severity: 'error',
      comment: 'The renderer talks to the engine only through StudioApi (src/shared).',
      from: { path: '^src/renderer/' },
      to: { path: '^src/', pathNot: '^src/(renderer|shared)/' },
    },
    {
      name: 'renderer-has-no-node',
      severity: 'error',
      comment: 'The renderer runs sandboxed in a browser: no Node built-ins.',
      from: { path: '^src/(renderer|preload)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'preload-imports-only-shared',
      severity: 'error',
      from: { path: '^src/preload/' },
      to: { path: '^src/', pathNot: '^src/(preload|shared)/' },
    },
    {
      name: 'decoder-is-a-client',
      severity: 'error',
      comment: 'src/decoder speaks the wire contract like any external decoder: src/shared and itself only.',
      from: { path: '^src/decoder/' },
      to: { path: '^src/', pathNot: '^src/(decoder|shared)/' },
    },
    {
      name: 'electron-only-at-the-edges',
      severity: 'error',
      comment: 'Electron is imported only by the Electron entry (src/main/index.ts) and the preload, so everything else runs in plain Node.',
      from: { pathNot: '^src/main/index[.]ts$|^src/preload/' },
      to: { path: '(^|/)node_modules/electron/' },
    },
    {
      name: 'src-does-not-import-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|e2e|bench)/' },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

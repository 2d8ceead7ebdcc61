/**
 * The dependency rules (.dependency-cruiser.cjs) hold for the project, and each one really
 * catches what it names: a small tree written for the test breaks every rule once.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/server.ts';

const ruleSet = createRequire(import.meta.url)(join(REPO_ROOT, '.dependency-cruiser.cjs'));

async function violations(baseDir: string): Promise<Array<{ rule: string; from: string; to: string }>> {
  const result = await cruise(['src'], { baseDir, ruleSet, validate: true, ...ruleSet.options, tsConfig: undefined });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('layers', () => {
  it('the project breaks none of the dependency rules', async () => {
    expect(await violations(REPO_ROOT)).toEqual([]);
  }, 60_000);

  const dir = mkdtempSync(join(tmpdir(), 'pl-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  it('each rule fails with its name when broken', async () => {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    file('src/shared/contract.ts', "import { log } from '../main/common/log.ts';\nimport { readFileSync } from 'node:fs';\nexport const x = [log, readFileSync];\n");
    file('src/main/common/log.ts', "import { Session } from '../playback/session.ts';\nexport const log = Session;\n");
    file('src/main/dataset/reader.ts', "import { Session } from '../playback/session.ts';\nexport const r = Session;\n");
    file('src/main/playback/session.ts', "import { face } from '../streams/endpoint.ts';\nexport const Session = face;\n");
    file('src/main/http/listener.ts', "import { api } from '../rest/api.ts';\nexport const l = api;\n");
    file('src/main/streams/endpoint.ts', "import { api } from '../rest/api.ts';\nexport const face = api;\n");
    file('src/main/rest/api.ts', "import { app } from 'electron';\nimport '../../../test/helper.ts';\nexport const api = app;\n");
    file('src/main/studio/service.ts', "import { boot } from '../server.ts';\nimport { missing } from './nowhere.ts';\nexport const s = [boot, missing];\n");
    file('src/main/server.ts', "import { s } from './studio/service.ts';\nexport const boot = s;\n");
    file('src/renderer/src/App.tsx', "import { Session } from '../../main/playback/session.ts';\nimport { env } from 'node:process';\nexport const App = [Session, env];\n");
    file('src/preload/index.ts', "import { log } from '../main/common/log.ts';\nexport const p = log;\n");
    file('src/main/evaluation/scores.ts', "import { api } from '../rest/api.ts';\nexport const sc = api;\n");
    file('src/decoder/cli.ts', "import { Session } from '../main/playback/session.ts';\nexport const d = Session;\n");
    file('test/helper.ts', 'export {};\n');

    const found = await violations(dir);
    const rules = new Set(found.map((v) => v.rule));
    expect([...rules].sort()).toEqual(
      [
        'no-cycles',
        'shared-imports-nothing-of-ours',
        'shared-is-platform-neutral',
        'common-imports-no-layer-above',
        'dataset-imports-no-layer-above',
        'playback-imports-no-face',
        'evaluation-imports-no-face',
        'decoder-is-a-client',
        'http-knows-no-face',
        'faces-do-not-import-each-other',
        'faces-do-not-import-entry-points',
        'renderer-imports-only-shared',
        'renderer-has-no-node',
        'preload-imports-only-shared',
        'electron-only-at-the-edges',
        'src-does-not-import-tests',
        'no-unresolvable-imports',
      ].sort(),
    );
    expect(found).toContainEqual({ rule: 'playback-imports-no-face', from: 'src/main/playback/session.ts', to: 'src/main/streams/endpoint.ts' });
    expect(found).toContainEqual({ rule: 'electron-only-at-the-edges', from: 'src/main/rest/api.ts', to: expect.stringMatching(/node_modules\/electron\/index\.js$/) });
  }, 60_000);
});

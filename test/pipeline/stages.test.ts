// The compile driver's stages called on their own: analyze -> emit -> write,
// with a private build cache and staging folder (the build stage runs TVM and
// is covered by the end-to-end tests).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeModel } from '../../src/pipeline/analyze.js';
import { emitDrafts, lookUpUnits, type BuildSettings } from '../../src/pipeline/emit.js';
import { writeGraph } from '../../src/pipeline/write.js';
import { BuildCache } from '../../src/cache.js';
import { Staging } from '../../src/output.js';
import { fixture, tempDir } from '../helpers.js';

const options = { policy: 'compute' as const, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };
const quiet = { printAfter: [], verifyIr: true, print: () => undefined };
const settings: BuildSettings = { target: 'llvm -mcpu=x86-64', optLevel: 3, disableOpts: [], tvmVersion: 'test', scriptHash: 'test' };

test('emit: one unit per cluster and shape set, queued when not cached, its Relay text and weights written', async () => {
  const state = await analyzeModel(fixture('dynamic_batch'), { batch: [1, 4] }, options, quiet);
  const root = tempDir();
  const staging = new Staging(path.join(root, 'out'));
  try {
    const units = lookUpUnits(emitDrafts(state, settings, staging), settings, new BuildCache(path.join(root, 'cache')), staging);
    expect(units.map((u) => `${u.cluster}:${state.shapeSets[u.shapeSet]!.key}`)).toEqual(
      state.clusters.flatMap((c) => state.shapeSets.map((s) => `${c.name}:${s.key}`)),
    );
    expect(new Set(units.map((u) => u.key)).size).toBe(units.length);
    for (const u of units) {
      expect(u.job).toBeDefined();
      expect(readFileSync(u.job!.relay, 'utf8')).toMatch(/^#\[version = "0.0.5"\]/);
      expect(u.job!.relay).toBe(staging.path(u.rel.replace(/\.so$/, '.relay')));
      for (const npy of Object.values(u.job!.params)) expect(existsSync(npy)).toBe(true);
    }
  } finally {
    staging.discard();
  }
});

test('emit: a cached artifact is linked into place and not queued', async () => {
  const state = await analyzeModel(fixture('conv_mlp'), [], options, quiet);
  const root = tempDir();
  const cache = new BuildCache(path.join(root, 'cache'));
  const first = new Staging(path.join(root, 'a'));
  const [unit] = lookUpUnits(emitDrafts(state, settings, first), settings, cache, first);
  first.discard();
  const lib = path.join(root, 'fake.so');
  writeFileSync(lib, 'not a real library');
  const sha = createHash('sha256').update('not a real library').digest('hex');
  cache.store(unit!.key, lib, sha);
  const second = new Staging(path.join(root, 'b'));
  try {
    const [again] = lookUpUnits(emitDrafts(state, settings, second), settings, cache, second);
    expect(again!.job).toBeUndefined();
    expect(again!.sha256).toBe(sha);
    expect(readFileSync(second.path(again!.rel), 'utf8')).toBe('not a real library');
    // A different setting is a different artifact.
    const [other] = lookUpUnits(emitDrafts(state, { ...settings, optLevel: 2 }, second), { ...settings, optLevel: 2 }, cache, second);
    expect(other!.key).not.toBe(unit!.key);
    expect(other!.job).toBeDefined();
  } finally {
    second.discard();
  }
});

test('write: with no cluster kept, model.pb is the input byte for byte', async () => {
  const model = fixture('trap_diamond');
  const state = await analyzeModel(model, [], options, quiet);
  const staging = new Staging(path.join(tempDir(), 'out'));
  try {
    writeGraph(staging, state, [], { model: 'model.pb', target: settings.target, tvmVersion: 'test', failed: new Map() });
    expect(readFileSync(staging.path('model.pb')).equals(readFileSync(model))).toBe(true);
    const manifest = JSON.parse(readFileSync(staging.path('manifest.json'), 'utf8')) as { clusters: unknown[]; failed: unknown[] };
    expect(manifest.clusters).toEqual([]);
    expect(manifest.failed).toEqual([]);
  } finally {
    staging.discard();
  }
});

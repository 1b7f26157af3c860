// The fuzzer's regression and smoke tests: every input of the corpus and
// every crash it ever found (fixtures/fuzz/) is answered cleanly (ok, or a
// bad-input or usage diagnostic); fast-check's property over mutation lists
// (it shrinks a failing list to a minimal one); and a short coverage-guided
// run that must grow coverage and find no crash.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { opRegistry } from '../../backends/tf/op-registry.js';
import type { OpRegistry } from '../../ir/tf/op-defs.js';
import { fuzz } from './engine.js';
import { applyMutations, mutationsArb } from './mutate.js';
import { CORPUS_DIR, CRASHES_DIR, FUZZ_DIR, seedInputs, type FuzzStats } from './run.js';
import { runTarget } from './target.js';

let registry: OpRegistry;
beforeAll(async () => {
  registry = await opRegistry();
});

const files = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.pb'))
        .sort()
    : [];

test('every crash the fuzzer found is answered cleanly now', () => {
  for (const f of files(CRASHES_DIR)) {
    const out = runTarget(readFileSync(path.join(CRASHES_DIR, f)), registry);
    expect({ f, kind: out.kind, message: out.kind === 'crash' ? out.message : '' }).toEqual({
      f,
      kind: out.kind === 'ok' ? 'ok' : 'refused',
      message: '',
    });
  }
});

test('stats.json counts every crash found, none of them open', () => {
  const stats = JSON.parse(readFileSync(path.join(FUZZ_DIR, 'stats.json'), 'utf8')) as FuzzStats;
  expect({ found: stats.crashes_found, open: stats.crashes_open }).toEqual({ found: files(CRASHES_DIR).length, open: 0 });
  expect(stats.corpus_size).toBe(files(CORPUS_DIR).length);
  expect(stats.total_seconds).toBe(stats.runs.reduce((n, r) => n + r.seconds, 0));
});

test('every corpus input is answered cleanly', () => {
  for (const f of files(CORPUS_DIR))
    expect({ f, kind: runTarget(readFileSync(path.join(CORPUS_DIR, f)), registry).kind }).not.toEqual({ f, kind: 'crash' });
});

test('mutated fixtures never crash (fast-check, shrinking a failure)', () => {
  const seeds = seedInputs().slice(0, 6);
  fc.assert(
    fc.property(fc.nat({ max: seeds.length - 1 }), mutationsArb, (s, ms) => {
      const bytes = applyMutations(seeds[s] as Uint8Array, ms);
      if (bytes !== undefined) expect(runTarget(bytes, registry)).not.toMatchObject({ kind: 'crash' });
    }),
    { numRuns: 300, seed: 16 },
  );
});

test('a short coverage-guided run grows the corpus and finds no crash', async () => {
  // Bounded by executions, not by time alone, so a loaded machine runs as many.
  const r = await fuzz({ seconds: 180, maxExecutions: 150, seed: 7, corpus: seedInputs().slice(0, 6), registry });
  expect(r.crashes.map((c) => c.message)).toEqual([]);
  expect(r.executions).toBeGreaterThan(50);
  expect(r.added.length).toBeGreaterThan(0);
});

// The optimisation names: one list in TypeScript and Python, validated on
// the command line, and part of the build-cache key; the key also covers
// every Python module of the build worker.

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { WORKER_MODULES, buildScriptHash } from '../../backends/tvm/worker.js';
import { cacheKey } from '../../src/cache.js';
import { Tf2tvmError } from '../../ir/support/diagnostics.js';
import { OPTIMIZATIONS, disabledOptimizations } from '../../backends/tvm/optimizations.js';
import { projectPath } from '../../ir/support/project.js';

test('the Python worker knows the same optimisation names, in the same order', async () => {
  const tc = await findToolchain();
  const r = await execa(tc.python, ['-c', 'import json, optimizations; print(json.dumps(list(optimizations.NAMES)))'], {
    cwd: projectPath('backends', 'tvm'),
  });
  expect(JSON.parse(String(r.stdout))).toEqual(OPTIMIZATIONS.map((o) => o.name));
});

test('--disable-opt names are checked, de-duplicated and sorted', () => {
  expect(disabledOptimizations(['reduce', 'fast-math', 'reduce'])).toEqual(['fast-math', 'reduce']);
  expect(disabledOptimizations([])).toEqual([]);
  let err: unknown;
  try {
    disabledOptimizations(['fast-math', 'fastmath']);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Tf2tvmError);
  expect((err as Tf2tvmError).code).toBe('TF2TVM2003');
  expect((err as Error).message).toMatch(/unknown optimisation 'fastmath'.*known: expand-pow, fold-pad, /);
});

test('WORKER_MODULES are exactly the local modules build.py imports', () => {
  const dir = projectPath('backends', 'tvm');
  const imports = [...readFileSync(path.join(dir, 'build.py'), 'utf8').matchAll(/^import (\w+)/gm)].map((m) => `${m[1]}.py`);
  const local = imports.filter((f) => existsSync(path.join(dir, f))).sort();
  expect(local).toEqual([...WORKER_MODULES].sort());
});

test('the disabled set and every worker module are part of the cache key', () => {
  const base = { relay: 'fn () {}', params: [], target: 't', optLevel: 3, tvmVersion: 'v', buildScript: 'h', disabled: [] as string[] };
  const k0 = cacheKey(base);
  expect(cacheKey({ ...base, disabled: ['fast-math'] })).not.toBe(k0);
  expect(cacheKey({ ...base, disabled: ['fast-math', 'reduce'] })).not.toBe(cacheKey({ ...base, disabled: ['fast-math'] }));

  // A copy of the worker folder: changing a module beside build.py changes the hash.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-scripthash-'));
  const saved = process.env.TF2TVM_BUILD_SCRIPT;
  try {
    cpSync(projectPath('backends', 'tvm'), dir, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    process.env.TF2TVM_BUILD_SCRIPT = path.join(dir, 'build.py');
    const h0 = buildScriptHash();
    expect(buildScriptHash()).toBe(h0);
    writeFileSync(path.join(dir, 'x86_schedules.py'), '# changed\n', { flag: 'a' });
    const h1 = buildScriptHash();
    expect(h1).not.toBe(h0);
    // A file the worker does not import is not part of it.
    writeFileSync(path.join(dir, 'notes.py'), 'pass\n');
    expect(buildScriptHash()).toBe(h1);
  } finally {
    if (saved === undefined) delete process.env.TF2TVM_BUILD_SCRIPT;
    else process.env.TF2TVM_BUILD_SCRIPT = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

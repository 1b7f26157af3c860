// The tuner's launcher library (runtime/launcher.cc, built into build/runtime
// by runtime/build.sh): a TVM-built parallel loop really runs on two threads
// after a redirect, inline with one, and tuning's measurement path uses it
// (test/runtime/launcher_check.py, a tvm-only process). Also the thread count
// rule the compile driver sends with a tuning job.

import { existsSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { findToolchain, hostTarget } from '../../backends/python/toolchain.js';
import { launcherLibrary, tuningThreads } from '../../backends/tvm/worker.js';
import { projectPath } from '../../ir/support/project.js';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

test('the launcher library is built beside the op library', () => {
  expect(launcherLibrary()).toBe(projectPath('build', 'runtime', 'libtf2tvm_launcher.so'));
  expect(existsSync(launcherLibrary())).toBe(true);
});

test('launcher checks pass: two threads, inline at one, the measurement path, a missing library', async () => {
  const tc = await findToolchain();
  const r = await execa(tc.python, [projectPath('test', 'runtime', 'launcher_check.py'), launcherLibrary(), hostTarget()], {
    env: tc.env({ threads: 1 }),
    reject: false,
    stdin: 'ignore',
  });
  const last = String(r.stdout).trim().split('\n').pop() ?? '';
  let checks: Check[] = [];
  try {
    checks = (JSON.parse(last) as { checks: Check[] }).checks;
  } catch {
    throw new Error(`launcher_check.py printed no report (exit ${r.exitCode}):\n${String(r.stderr).split('\n').slice(-30).join('\n')}`);
  }
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(17);
  expect(r.exitCode).toBe(0);
});

test('tuning threads: TF2TVM_NUM_THREADS, else TF_NUM_INTRAOP_THREADS, else the usable CPUs', () => {
  expect(tuningThreads({ TF2TVM_NUM_THREADS: '3', TF_NUM_INTRAOP_THREADS: '5' })).toBe(3);
  expect(tuningThreads({ TF_NUM_INTRAOP_THREADS: '5' })).toBe(5);
  expect(tuningThreads({ TF_NUM_INTRAOP_THREADS: '0' })).toBe(os.availableParallelism());
  expect(tuningThreads({})).toBe(os.availableParallelism());
  expect(() => tuningThreads({ TF2TVM_NUM_THREADS: 'two' })).toThrow(/TF2TVM_NUM_THREADS.*not a thread count/);
  expect(() => tuningThreads({ TF2TVM_NUM_THREADS: '0' })).toThrow(/not a thread count/);
});

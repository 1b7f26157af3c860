// The op conformance cases (fixtures/generate_ops.py), generated once per
// version of the script and of the toolchain pins into the per-user cache
// (~/.cache/tf2tvm/ops/<key>/), shared by clones and by the tests that read
// them (ops.test.ts runs them, dtypes.test.ts counts their dtypes).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, toolchainLocation } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { userCache } from '../helpers.js';

const script = projectPath('fixtures', 'generate_ops.py');
const key = createHash('sha256').update(readFileSync(script)).update(toolchainLocation().key).digest('hex').slice(0, 16);
export const casesDir = userCache('ops', key);

/** Generates the cases unless this version of the script already did (atomically: another run may race). */
export async function ensureCases(): Promise<void> {
  if (existsSync(path.join(casesDir, '.complete'))) {
    const now = new Date();
    utimesSync(casesDir, now, now); // in use: see the clean-up below
    return;
  }
  const tc = await findToolchain();
  const tmp = `${casesDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await execa(tc.python, [script, '--out', tmp], { env: tc.env(), reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`generate_ops.py failed (${r.exitCode}):\n${String(r.stderr).slice(-3000)}`);
  writeFileSync(path.join(tmp, '.complete'), `${key}\n`);
  mkdirSync(path.dirname(casesDir), { recursive: true });
  try {
    renameSync(tmp, casesDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // someone else finished first
  }
  // Cases of other script versions are dead weight once nobody uses them: another
  // checkout on this machine may be running its own version right now, so only
  // folders untouched for a week go.
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const old of readdirSync(path.dirname(casesDir))) {
    const dir = path.join(path.dirname(casesDir), old);
    if (/^[0-9a-f]{16}$/.test(old) && old !== key && statSync(dir).mtimeMs < weekAgo) rmSync(dir, { recursive: true, force: true });
  }
}

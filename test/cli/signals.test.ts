// SIGTERM or SIGINT (Ctrl-C) during a TVM build: the compile stops its build
// workers, removes its staging folder and exits 143 or 130, leaving nothing
// beside OUT (and OUT as it was: here, none).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, fixture, tempDir } from '../helpers.js';

/** Pids of the descendants of `pid` (through /proc). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        todo.push(c);
      }
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)(
  '%s during the TVM build stops the workers, removes the staging folder and exits %d',
  async (signal, exitCode) => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    // An empty build cache, so the compile has to build.
    const child = execa('node', [CLI, 'compile', fixture('conv_mlp'), '-o', out, '--cache-dir', path.join(dir, 'cache')], {
      reject: false,
      stdin: 'ignore',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const pid = child.pid as number;
    // The build has begun when the worker has taken the job: build.py creates the job's log first.
    let workers: number[] = [];
    let staging: string[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      workers = descendants(pid).filter((p) => cmdline(p).includes('build.py'));
      staging = readdirSync(dir).filter((n) => n.startsWith('.tf2tvm-tmp-out-'));
      const logs = staging.length === 1 ? path.join(dir, staging[0] as string, 'logs') : '';
      if (workers.length > 0 && logs !== '' && existsSync(logs) && readdirSync(logs).length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(workers.length).toBeGreaterThan(0);
    expect(staging).toHaveLength(1);
    expect(readdirSync(path.join(dir, staging[0] as string, 'logs')).length).toBeGreaterThan(0);
    process.kill(pid, signal);
    const r = await child;
    expect(r.exitCode).toBe(exitCode);
    expect(String(r.stderr).split('\n')).toContain(`tf2tvm: interrupted by ${signal}`);
    expect(readdirSync(dir).filter((n) => n !== 'cache')).toEqual([]);
    expect(existsSync(out)).toBe(false);
    for (const w of workers) expect({ worker: w, running: running(w) }).toEqual({ worker: w, running: false });
  },
  180_000,
);

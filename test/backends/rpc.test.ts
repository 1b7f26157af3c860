// tf2tvm tune --rpc-tracker/--rpc-key with real processes on 127.0.0.1: TVM's
// tracker and two of the project's servers (backends/tvm/rpc_server.py)
// registered under one key; the tune's candidates are timed on them and land
// in the database with real costs. Every process is stopped by process group
// and its port is free again afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, type Toolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { fixture, tempDir, tf2tvmJson } from '../helpers.js';

const HOST = '127.0.0.1';
const KEY = 'tf2tvm-test';

let tc: Toolchain;
let dir: string;
const procs: ChildProcess[] = [];
// The tail of each process's stderr, shown when the tune fails.
const logs: Record<string, string> = {};
// The servers' lines saying when they timed a candidate, in full.
const fullLogs: Record<string, string> = {};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, HOST);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function env(): NodeJS.ProcessEnv {
  return { ...process.env, ...tc.env({ threads: 1 }), TVM_FFI: 'ctypes', TOPHUB_LOCATION: 'NONE' };
}

function start(args: string[], log: string): ChildProcess {
  const child = spawn(tc.python, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: env() });
  logs[log] = '';
  fullLogs[log] = '';
  child.stderr?.on('data', (d: Buffer) => {
    logs[log] = (logs[log] + d.toString()).slice(-4000);
    fullLogs[log] +=
      d
        .toString()
        .split('\n')
        .filter((l) => l.includes('tf2tvm rpc server: threads'))
        .join('\n') + '\n';
  });
  procs.push(child);
  return child;
}

async function freeServers(tracker: number): Promise<number> {
  const code = `import json, sys
from tvm import rpc
q = rpc.connect_tracker("${HOST}", ${tracker}).summary()["queue_info"].get("${KEY}", {})
print(q.get("free", 0))`;
  const r = await execa(tc.python, ['-c', code], { reject: false, env: env() });
  return r.exitCode === 0 ? Number(String(r.stdout).trim()) : 0;
}

async function stopAll(): Promise<void> {
  for (const p of procs) {
    if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(-p.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && procs.some((p) => p.exitCode === null && p.signalCode === null)) await new Promise((r) => setTimeout(r, 100));
  for (const p of procs) {
    // The group too: TVM's server and session processes outlive a parent killed first.
    try {
      if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
    } catch {
      // the whole group is gone
    }
  }
}

beforeAll(async () => {
  tc = await findToolchain();
  dir = tempDir('tf2tvm-rpc-');
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('tune times its candidates on two tracker-registered servers, then every port is free again', async () => {
  const tracker = await freePort();
  const ports = [await freePort(), await freePort()];
  start(['-m', 'tvm.exec.rpc_tracker', '--host', HOST, '--port', String(tracker), '--port-end', String(tracker + 1)], 'tracker');
  // The servers retry a tracker that is not up yet only every 5 s.
  const up = Date.now() + 30000;
  while (Date.now() < up && !(await accepts(tracker))) await new Promise((r) => setTimeout(r, 100));
  const server = projectPath('backends', 'tvm', 'rpc_server.py');
  for (const [i, port] of ports.entries()) {
    const args = [server, '--tracker', `${HOST}:${tracker}`, '--key', KEY, '--host', HOST, '--port', String(port), '--port-end', String(port + 1)];
    start(args, `server ${i}`);
  }
  const deadline = Date.now() + 60000;
  let free = 0;
  while (Date.now() < deadline && (free = await freeServers(tracker)) < 2) await new Promise((r) => setTimeout(r, 500));
  expect(free).toBe(2);

  const db = path.join(dir, 'db.jsonl');
  const { r, doc } = await tf2tvmJson<{ ok: boolean; workloads: { candidates: number }[] }>([
    'tune',
    fixture('conv_mlp'),
    '--trials',
    // Enough for batches of several candidates (the search's first batch is its start alone).
    '12',
    '--tuning-db',
    db,
    '--rpc-tracker',
    `${HOST}:${tracker}`,
    '--rpc-key',
    KEY,
    '--cache-dir',
    path.join(dir, 'cache'),
  ]);
  const failure =
    r.exitCode === 0
      ? ''
      : `${r.stderr}\n${Object.entries(logs)
          .map(([k, v]) => `[${k}] ${v}`)
          .join('\n')}`;
  expect({ exit: r.exitCode, failure }).toEqual({ exit: 0, failure: '' });
  expect(doc.ok).toBe(true);
  const lines = readFileSync(db, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; costs: number[] | null });
  const candidates = lines.filter((l) => l.kind === 'candidate');
  expect(candidates.length).toBe(doc.workloads.reduce((n, w) => n + w.candidates, 0));
  expect(candidates.length).toBeGreaterThan(0);
  const measured = candidates.filter((l) => l.costs !== null && l.costs.every((c) => c > 0 && Number.isFinite(c)));
  expect(measured.length).toBeGreaterThan(0);

  // A batch of candidates is timed on both servers at once: some timing of one overlaps one of the other.
  const timings = (log: string): [number, number][] => {
    const at = [...log.matchAll(/tf2tvm rpc server: threads \d+ at ([\d.]+)/g)].map((m) => Number(m[1]));
    return Array.from({ length: Math.floor(at.length / 2) }, (_, i) => [at[2 * i]!, at[2 * i + 1]!]);
  };
  const [a, b] = [timings(fullLogs['server 0']!), timings(fullLogs['server 1']!)];
  expect(a.length + b.length).toBeGreaterThanOrEqual(measured.length);
  expect(a.some(([s0, e0]) => b.some(([s1, e1]) => s0 < e1 && s1 < e0))).toBe(true);

  await stopAll();
  for (const port of [tracker, ...ports]) expect({ port, free: await canListen(port) }).toEqual({ port, free: true });
});

// BuildWorker's handling of a misbehaving build process, with a stand-in for
// Python (a small node script speaking the same protocol): a crash or a
// timeout fails only its job and the next job gets a new process; a process
// that dies before taking a job, or breaks the protocol, rejects every queued
// job with errors.toolchainFailed carrying the command line and stderr's tail.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errors, Tf2tvmError } from '../../ir/support/diagnostics.js';
import type { Toolchain } from '../../backends/python/toolchain.js';
import { BuildWorker, buildAll, type BuildJob } from '../../backends/tvm/worker.js';

const FAKE = `#!/usr/bin/env node
const fs = require('fs');
const readline = require('readline');
if (process.env.FAKE_MODE === 'startup') {
  process.stderr.write('Traceback (most recent call last):\\nImportError: no module named tvm\\n');
  process.exit(1);
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const job = JSON.parse(line);
  fs.writeFileSync(job.log, 'fake build of ' + job.id + '\\n');
  if (job.id === 'crash') process.kill(process.pid, 'SIGKILL');
  if (job.id === 'hang') return;
  if (job.id === 'garbage') { process.stdout.write('this is not json\\n'); return; }
  if (job.id === 'fail') {
    process.stdout.write(JSON.stringify({ id: job.id, ok: false, error: 'ValueError: nope', log: job.log }) + '\\n');
    return;
  }
  fs.rmSync(job.log);
  process.stdout.write(JSON.stringify({ id: job.id, ok: true, seconds: 0.25, tvm_version: 'fake [' + job.disable + '] ' + job.opt_level }) + '\\n');
});
`;

let dir: string;
let fake: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-fakeworker-'));
  fake = path.join(dir, 'fake-python.cjs');
  writeFileSync(fake, FAKE);
  chmodSync(fake, 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fakeToolchain(mode = ''): Toolchain {
  return {
    venv: dir,
    python: fake,
    key: 'fake',
    sitePackages: dir,
    env: () => ({ FAKE_MODE: mode }),
    tvmVersion: () => Promise.resolve('fake'),
    tensorflowVersion: () => Promise.resolve('fake'),
  };
}

function job(id: string): BuildJob {
  return { id, relay: 'x.relay', params: {}, target: 'llvm', out: path.join(dir, `${id}.so`) };
}

const opts = () => ({ logDir: path.join(dir, 'logs') });

test('answers come back per job; defaults opt_level 3 and no optimisation disabled', async () => {
  const w = new BuildWorker(fakeToolchain(), opts());
  const [a, b] = await Promise.all([w.build(job('a')), w.build(job('fail'))]);
  expect(a).toEqual({ id: 'a', ok: true, seconds: 0.25, tvm_version: 'fake [] 3' });
  expect(b).toMatchObject({ id: 'fail', ok: false, error: 'ValueError: nope' });
  if (!b.ok) expect(readFileSync(b.log!, 'utf8')).toBe('fake build of fail\n');
  await w.close();
  expect(w.pid).toBeUndefined();
  await expect(w.build(job('late'))).rejects.toThrow(/closed BuildWorker/);
});

test('a crash fails only its job; the next job runs in a new process', async () => {
  const w = new BuildWorker(fakeToolchain(), opts());
  const first = await w.build(job('before'));
  const pid = w.pid;
  expect(first.ok).toBe(true);
  const [crash, after] = await Promise.all([w.build(job('crash')), w.build(job('after'))]);
  expect(crash).toMatchObject({ id: 'crash', ok: false, error: expect.stringMatching(/killed by SIGKILL during the build/) as unknown });
  if (!crash.ok) {
    const log = readFileSync(crash.log!, 'utf8');
    expect(log).toContain('fake build of crash');
    expect(log).toContain(`command: ${fake} -u `);
  }
  expect(after).toMatchObject({ id: 'after', ok: true });
  expect(w.pid).not.toBe(pid);
  await w.close();
});

test('a job running past timeoutMs is killed and reported', async () => {
  const w = new BuildWorker(fakeToolchain(), { ...opts(), timeoutMs: 1500 });
  const [hang, next] = await Promise.all([w.build(job('hang')), w.build(job('next'))]);
  expect(hang).toMatchObject({ ok: false, error: 'build timed out after 1.5 s' });
  expect(next).toMatchObject({ ok: true });
  await w.close();
});

test('a process that dies before taking a job rejects every queued job with the command and stderr', async () => {
  const w = new BuildWorker(fakeToolchain('startup'), opts());
  const results = await Promise.allSettled([w.build(job('x')), w.build(job('y'))]);
  for (const r of results) {
    expect(r.status).toBe('rejected');
    if (r.status !== 'rejected') continue;
    const e = r.reason as Tf2tvmError;
    expect(e).toBeInstanceOf(Tf2tvmError);
    expect(e.code).toBe(errors.toolchainFailed.code);
    expect(e.message).toContain(`exited with code 1 before taking a job (command: ${fake} -u `);
    expect(e.detail).toContain('ImportError: no module named tvm');
  }
  await expect(w.build(job('z'))).rejects.toThrow(/before taking a job/);
  await w.close();
});

test('a protocol violation rejects with toolchainFailed', async () => {
  const w = new BuildWorker(fakeToolchain(), opts());
  await expect(w.build(job('garbage'))).rejects.toThrow(/not JSON: this is not json/);
  await w.close();
});

test('a python that does not exist rejects with toolchainFailed', async () => {
  const tc = { ...fakeToolchain(), python: path.join(dir, 'no-such-python') };
  const w = new BuildWorker(tc, opts());
  await expect(w.build(job('x'))).rejects.toMatchObject({ code: errors.toolchainFailed.code });
  await w.close();
});

test('buildAll returns results in job order and stops everything on a toolchain failure', async () => {
  const jobs = ['j1', 'fail', 'j3', 'j4', 'j5'].map(job);
  const results = await buildAll(fakeToolchain(), jobs, { jobs: 3, worker: opts() });
  expect(results.map((r) => `${r.id}:${r.ok}`)).toEqual(['j1:true', 'fail:false', 'j3:true', 'j4:true', 'j5:true']);
  expect(await buildAll(fakeToolchain(), [], { jobs: 2 })).toEqual([]);
  await expect(buildAll(fakeToolchain('startup'), jobs, { jobs: 2, worker: opts() })).rejects.toMatchObject({
    code: errors.toolchainFailed.code,
  });
  expect(existsSync(path.join(dir, 'j1.so'))).toBe(false); // the fake builds nothing
});

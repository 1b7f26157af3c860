// runPythonStep with tiny scripts in a temp folder, run by the toolchain's
// own interpreter: the JSON document comes back; a non-zero exit, a signal,
// a missing interpreter or stdout that is not JSON is errors.toolchainFailed
// with the command line and stderr's last lines in the detail.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors, Tf2tvmError } from '../../ir/support/diagnostics.js';
import { runPythonStep, STEP_STDERR_TAIL_LINES } from '../../backends/python/step.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
}

async function failure(p: Promise<unknown>): Promise<Tf2tvmError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Tf2tvmError);
    return e as Tf2tvmError;
  }
  throw new Error('the step did not fail');
}

test('the JSON document on stdout is returned; arguments and threads reach the script', async () => {
  const s = script(
    'ok.py',
    'import json, os, sys\nprint("chatter", file=sys.stderr)\njson.dump({"args": sys.argv[1:], "threads": os.environ["TVM_NUM_THREADS"]}, sys.stdout)\n',
  );
  const doc = await runPythonStep<{ args: string[]; threads: string }>({ script: s, args: ['--x', 'a b'], what: 'echo', threads: 3 });
  expect(doc).toEqual({ args: ['--x', 'a b'], threads: '3' });
});

test('a non-zero exit: toolchainFailed, the exit code in the message, the stderr tail in the detail', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
  const s = script('fail.py', `import sys\nfor i in range(40): print(f"line {i}", file=sys.stderr)\nprint('{"ok": true}')\nsys.exit(5)\n`);
  const e = await failure(runPythonStep({ script: s, args: ['--flag'], what: 'the failing step' }));
  expect(e.code).toBe(errors.toolchainFailed.code);
  expect(e.exitCode).toBe(3);
  expect(e.message).toBe('toolchain step failed: the failing step exited 5');
  expect(e.detail).toContain(`${s} --flag`);
  expect(e.detail).toContain(`stderr (last lines):\n${lines.slice(-STEP_STDERR_TAIL_LINES).join('\n')}`);
  expect(e.detail).not.toContain(`line ${39 - STEP_STDERR_TAIL_LINES}\n`);
});

test('stdout that is not JSON: toolchainFailed saying so, with what was printed', async () => {
  const s = script('garbage.py', 'import sys\nprint("Warning: something loaded")\nprint("{}")\nprint("oops", file=sys.stderr)\n');
  const e = await failure(runPythonStep({ script: s, args: [], what: 'the chatty step' }));
  expect(e.code).toBe(errors.toolchainFailed.code);
  expect(e.message).toMatch(/^toolchain step failed: the chatty step printed no JSON document \(/);
  expect(e.detail).toContain('Warning: something loaded');
  expect(e.detail).toContain('stderr (last lines):\noops');
  const empty = await failure(runPythonStep({ script: script('silent.py', 'pass\n'), args: [], what: 'the silent step' }));
  expect(empty.detail).toContain('(stdout was empty)');
  expect(empty.detail).toContain('(stderr was empty)');
});

test('killed by a signal, or no interpreter at all: toolchainFailed too', async () => {
  const s = script('killed.py', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n');
  const killed = await failure(runPythonStep({ script: s, args: [], what: 'the doomed step' }));
  expect(killed.message).toBe('toolchain step failed: the doomed step was killed by SIGKILL');
  const missing = await failure(
    runPythonStep({ script: s, args: [], what: 'the lost step', toolchain: { python: path.join(dir, 'no-python'), env: () => ({}) } }),
  );
  expect(missing.code).toBe(errors.toolchainFailed.code);
  expect(missing.message).toMatch(/^toolchain step failed: the lost step could not start/);
});

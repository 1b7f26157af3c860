// One Python step: run a script of backends/ in the toolchain's interpreter,
// wait for it, and read the one JSON document it prints on stdout. Every
// step script follows the same contract: it reports what it found (a
// mismatch, a failed cluster) inside that document and exits 0; a non-zero
// exit, a signal, or stdout that is not JSON means the step itself failed,
// which is errors.toolchainFailed with the command line and stderr's last
// lines in its detail.

import { execa } from 'execa';
import { errors, Tf2tvmError } from '../../ir/support/diagnostics.js';
import { onInterruptStop } from '../../ir/support/interrupt.js';
import { findToolchain, type Toolchain } from './toolchain.js';

/** Lines of stderr kept for a failure's detail. */
export const STEP_STDERR_TAIL_LINES = 15;

export interface PythonStep {
  /** The script to run (an absolute path). */
  readonly script: string;
  readonly args: readonly string[];
  /** What the step does, for messages: "TensorFlow shape inference". */
  readonly what: string;
  /** TVM_NUM_THREADS of the process (default: the toolchain's default, all cores). */
  readonly threads?: number;
  /** stderr lines matching this go straight to the user as they come (progress lines). */
  readonly progress?: RegExp;
  /** The interpreter and environment (default: findToolchain()). */
  readonly toolchain?: Pick<Toolchain, 'python' | 'env'>;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function failed(what: string, why: string, command: string, stderr: string, extra = ''): Tf2tvmError {
  const base = errors.toolchainFailed(`${what} ${why}`);
  const lines = stderr.replace(/\n+$/, '').split('\n');
  const tail = stderr.trim() === '' ? '(stderr was empty)' : lines.slice(-STEP_STDERR_TAIL_LINES).join('\n');
  return new Tf2tvmError(base.code, base.message, base.exitCode, `command: ${command}\n${extra}stderr (last lines):\n${tail}`);
}

/** Run the step; its parsed JSON document, or errors.toolchainFailed. */
export async function runPythonStep<T>(step: PythonStep): Promise<T> {
  const tc = step.toolchain ?? (await findToolchain());
  const argv = [step.script, ...step.args];
  const command = [tc.python, ...argv].map(quote).join(' ');
  const env = tc.env(step.threads === undefined ? {} : { threads: step.threads });
  const child = execa(tc.python, argv, { env, reject: false, stdin: 'ignore' });
  const progress = step.progress;
  if (progress) {
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (progress.test(line)) process.stderr.write(line + '\n');
    });
  }
  const unregister = onInterruptStop(async () => {
    child.kill('SIGKILL');
    await child;
  });
  const r = await child.finally(unregister);
  const stderr = String(r.stderr ?? '');
  if (r.exitCode === undefined) {
    const why = r.signal ? `was killed by ${r.signal}` : `could not start (${r.shortMessage})`;
    throw failed(step.what, why, command, stderr);
  }
  if (r.exitCode !== 0) throw failed(step.what, `exited ${r.exitCode}`, command, stderr);
  const stdout = String(r.stdout ?? '');
  try {
    return JSON.parse(stdout) as T;
  } catch (e) {
    const head = stdout.trim() === '' ? '(stdout was empty)' : stdout.slice(0, 400);
    throw failed(step.what, `printed no JSON document (${(e as Error).message})`, command, stderr, `stdout (first characters):\n${head}\n`);
  }
}

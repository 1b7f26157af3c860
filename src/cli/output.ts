// How commands talk to the user: diagnostics and progress on stderr, one JSON
// document on stdout under --json, exit codes through process.exitCode.

import chalk from 'chalk';
import { ExitCode, Tf2tvmError, type Diagnostic } from '../../ir/support/diagnostics.js';
import { isInterrupted } from '../../ir/support/interrupt.js';

export function printDiagnostic(d: Diagnostic): void {
  const label = d.severity === 'error' ? chalk.red('error') : chalk.yellow('warning');
  process.stderr.write(`${label} ${d.code}: ${d.message}\n`);
  if (d.detail) process.stderr.write(d.detail.replace(/^/gm, '  ') + '\n');
}

export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

/** Run a command body; turn any failure into a coded error, JSON if asked. */
export async function runCommand(json: boolean, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    // After SIGINT/SIGTERM the failures of killed workers are no news: the handler exits 130/143.
    if (isInterrupted()) return;
    const err =
      e instanceof Tf2tvmError ? e : new Tf2tvmError('TF2TVM7001', `internal error: ${(e as Error)?.stack ?? String(e)}`, ExitCode.internal);
    if (json) printJson({ ok: false, error: { code: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) } });
    printDiagnostic({ code: err.code, severity: 'error', message: err.message, ...(err.detail ? { detail: err.detail } : {}) });
    process.exitCode = err.exitCode;
  }
}

// Shared test helpers: run the built CLI as a user would, temp folders.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectPath } from '../ir/support/project.js';

export const CLI = projectPath('bin', 'tf2tvm');

/**
 * A folder in the per-user cache (generated models, conformance cases), shared
 * by every clone on the machine so CI runs reuse it; what is stored there is
 * keyed by the generator's hash, so sharing is safe.
 */
export function userCache(...parts: string[]): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tf2tvm', ...parts);
}

export function fixture(name: string): string {
  return projectPath('fixtures', 'models', name, 'model.pb');
}

export function tempDir(prefix = 'tf2tvm-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function tf2tvm(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa('node', [CLI, ...args], { reject: false, env: { ...process.env, ...env, FORCE_COLOR: '0' }, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function tf2tvmJson<T>(args: readonly string[], env: Record<string, string> = {}): Promise<{ r: CliResult; doc: T }> {
  const r = await tf2tvm([...args, '--json'], env);
  let doc: T;
  try {
    doc = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`no JSON on stdout (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  }
  return { r, doc };
}

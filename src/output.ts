// Atomic output folders: everything is written into a staging folder beside
// OUT and renamed into place at the end, so an interrupted run leaves either
// the previous OUT or none, never a half-written one.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errors } from './diagnostics.js';

export class Staging {
  readonly dir: string;
  private done = false;

  constructor(readonly out: string) {
    const parent = path.dirname(path.resolve(out));
    try {
      mkdirSync(parent, { recursive: true });
      this.dir = mkdtempSync(path.join(parent, `.tf2tvm-tmp-${path.basename(out)}-`));
    } catch (e) {
      throw errors.badOutDir(out, (e as Error).message);
    }
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Move the staging folder to OUT, replacing a previous OUT. */
  commit(): void {
    const out = path.resolve(this.out);
    if (existsSync(out) && !statSync(out).isDirectory()) throw errors.badOutDir(this.out, 'it exists and is not a folder');
    const old = existsSync(out) ? `${this.dir}.old` : undefined;
    if (old) renameSync(out, old);
    renameSync(this.dir, out);
    this.done = true;
    if (old) rmSync(old, { recursive: true, force: true });
  }

  discard(): void {
    if (!this.done) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

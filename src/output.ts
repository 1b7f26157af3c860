// Atomic output folders: everything is written into a staging folder beside
// OUT and renamed into place at the end, so an interrupted run leaves either
// the previous OUT or none, never a half-written one.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../ir/support/diagnostics.js';
import { isInterrupted, onInterruptRemove } from '../ir/support/interrupt.js';

/** How often a commit moves away an OUT that another compile put there meanwhile. */
const COMMIT_ATTEMPTS = 100;

export class Staging {
  readonly dir: string;
  private done = false;
  private readonly unregister: () => void;

  constructor(readonly out: string) {
    const parent = path.dirname(path.resolve(out));
    try {
      mkdirSync(parent, { recursive: true });
      removeAbandoned(parent, path.basename(out));
      this.dir = mkdtempSync(path.join(parent, `.tf2tvm-tmp-${path.basename(out)}-${process.pid}-`));
    } catch (e) {
      throw errors.badOutDir(out, (e as Error).message);
    }
    // SIGINT/SIGTERM remove it (after the build workers are stopped).
    const dir = this.dir;
    this.unregister = onInterruptRemove(() => rmSync(dir, { recursive: true, force: true }));
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /**
   * Move the staging folder to OUT, replacing a previous OUT. Two compiles
   * into one OUT at once (make -j) never mix their files: each renames its
   * whole folder into place, moving away whatever OUT is there first, and
   * retries when another one's folder arrived in between; the compile that
   * renames last wins, and OUT is its complete output.
   */
  commit(): void {
    // A signal came while the work finished: the folder is being removed, OUT stays as it was.
    if (isInterrupted()) throw errors.internal('commit after an interrupt');
    const out = path.resolve(this.out);
    const moved: string[] = [];
    for (let attempt = 0; ; attempt++) {
      // Another compile may move OUT away between any two steps: a missing OUT is just no OUT.
      const stat = statSync(out, { throwIfNoEntry: false });
      if (stat && !stat.isDirectory()) throw errors.badOutDir(this.out, 'it exists and is not a folder');
      try {
        renameSync(this.dir, out);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= COMMIT_ATTEMPTS) throw e;
      }
      const old = `${this.dir}.old${attempt}`;
      try {
        renameSync(out, old);
        moved.push(old);
      } catch (e) {
        // Another compile moved it away first: try again.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.done = true;
    this.unregister();
    for (const old of moved) rmSync(old, { recursive: true, force: true });
  }

  discard(): void {
    if (!this.done) rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}

/** Staging folders of runs that were killed (their pid is gone) are removed. */
function removeAbandoned(parent: string, base: string): void {
  const prefix = `.tf2tvm-tmp-${base}-`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

// The content-addressed build cache. An artifact's key hashes everything that
// determines it: the Relay text, every weight (name, dtype, shape, bytes), the
// target, the opt level, the optimisations switched off, --tune and the
// threads it timed candidates with, the TVM version and the build worker's
// code. A hit is written into the output from the bytes its sha256 was checked
// on, so unchanged models rebuild nothing.

import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CacheKeyParts {
  readonly relay: string;
  readonly params: readonly { name: string; dtype: string; shape: readonly number[]; bytes: Uint8Array }[];
  readonly target: string;
  readonly optLevel: number;
  /** Names of the optimisations built without (sorted). */
  readonly disabled: readonly string[];
  readonly tvmVersion: string;
  readonly buildScript: string;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return process.env.TF2TVM_CACHE_DIR || path.join(base, 'tf2tvm', 'builds');
}

export function cacheKey(p: CacheKeyParts): string {
  const h = createHash('sha256');
  const field = (name: string, value: string): void => {
    h.update(`${name}\0${value.length}\0${value}\0`);
  };
  field('format', '1');
  field('build-script', p.buildScript);
  field('tvm', p.tvmVersion);
  field('target', p.target);
  field('opt-level', String(p.optLevel));
  field('disabled', p.disabled.join(','));
  field('relay', p.relay);
  for (const w of p.params) {
    field('param', `${w.name}:${w.dtype}:[${w.shape.join(',')}]`);
    field('bytes', createHash('sha256').update(w.bytes).digest('hex'));
  }
  return h.digest('hex');
}

let tmpCounter = 0;

/** A temporary name beside `file`, unique to this process and call. */
function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${++tmpCounter}`;
}

function writeAtomically(file: string, text: string): void {
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export class BuildCache {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.so`);
  }

  has(key: string): boolean {
    return existsSync(this.file(key));
  }

  /**
   * Place the cached artifact at `dest` and return its sha256; undefined
   * when it is not cached, or when its bytes do not have the sha256 recorded
   * at store time (the damaged entry is removed, so the artifact is built
   * again and stored anew).
   */
  fetch(key: string, dest: string): string | undefined {
    const f = this.file(key);
    if (!existsSync(f)) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      return undefined; // removed meanwhile (prune, or a reader that found it damaged)
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    let sha: string | undefined;
    try {
      sha = readFileSync(`${f}.sha256`, 'utf8').trim();
    } catch {
      // store writes the sidecar before the file, so an entry without one is
      // half removed (a reader found it damaged) or an old one: a miss, never
      // trusted as it is (its bytes may be a writer's file rewritten in place).
      return undefined;
    }
    if (sha !== actual) {
      // A damaged entry (a truncated file, a disk error): drop it, so it is built again.
      rmSync(f, { force: true });
      rmSync(`${f}.sha256`, { force: true });
      return undefined;
    }
    // The bytes just verified, not a link to the path: a writer may have renamed another
    // file over it since.
    writeFileSync(dest, bytes);
    const now = new Date();
    // mtime records the last use: prune removes the least recently used first.
    try {
      utimesSync(f, now, now);
    } catch {
      // removed meanwhile; the copy in dest is complete
    }
    return sha;
  }

  /**
   * The tuning database `compile --tune N` tunes into when no --tuning-db is
   * given: one per set of artifacts (their untuned keys), so a second compile
   * of the same model reuses, or continues, what the first measured.
   * Databases are small and `prune` leaves them.
   */
  modelTuningDb(keys: readonly string[]): string {
    const h = createHash('sha256')
      .update([...keys].sort().join('\n'))
      .digest('hex');
    return path.join(this.dir, 'tuning', `${h.slice(0, 32)}.jsonl`);
  }

  /**
   * The tunable workloads of the artifact whose untuned key this is, as a
   * tasks job listed them (for --tuning-db, which applies only the records
   * of an artifact's own workloads); undefined when not listed yet.
   */
  workloads(key: string): string[] | undefined {
    const f = path.join(this.dir, 'tasks', `${key}.json`);
    try {
      const doc = JSON.parse(readFileSync(f, 'utf8')) as unknown;
      return Array.isArray(doc) && doc.every((w) => typeof w === 'string') ? doc : undefined;
    } catch {
      return undefined;
    }
  }

  storeWorkloads(key: string, workloads: readonly string[]): void {
    const f = path.join(this.dir, 'tasks', `${key}.json`);
    mkdirSync(path.dirname(f), { recursive: true });
    writeAtomically(f, JSON.stringify(workloads) + '\n');
  }

  /**
   * Add a freshly built artifact, atomically: the sha256 sidecar first, then
   * the library, each through a temporary file and a rename, so a reader (or
   * a concurrent writer of the same key) never sees a partial file.
   */
  store(key: string, src: string, sha256: string): void {
    const f = this.file(key);
    mkdirSync(path.dirname(f), { recursive: true });
    writeAtomically(`${f}.sha256`, `${sha256}\n`);
    const tmp = tempName(f);
    try {
      // A copy of its own (a reflink where the file system has them), never a hard link: the
      // writer may rewrite src in place later, and an entry sharing its inode would change with it.
      copyFileSync(src, tmp, fsConstants.COPYFILE_FICLONE);
      renameSync(tmp, f);
    } finally {
      if (existsSync(tmp)) unlinkSync(tmp);
    }
  }

  entries(): { file: string; bytes: number; mtimeMs: number }[] {
    if (!existsSync(this.dir)) return [];
    const out: { file: string; bytes: number; mtimeMs: number }[] = [];
    for (const sub of readdirSync(this.dir)) {
      const d = path.join(this.dir, sub);
      if (!statSync(d).isDirectory()) continue;
      for (const f of readdirSync(d)) {
        if (!f.endsWith('.so')) continue;
        const st = statSync(path.join(d, f));
        out.push({ file: path.join(d, f), bytes: st.size, mtimeMs: st.mtimeMs });
      }
    }
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.file < b.file ? -1 : 1));
  }

  size(): { files: number; bytes: number } {
    const e = this.entries();
    return { files: e.length, bytes: e.reduce((n, x) => n + x.bytes, 0) };
  }

  /** Remove least recently used artifacts until the cache holds at most maxBytes. */
  prune(maxBytes: number): { removed: number; freed: number } {
    const e = this.entries();
    let total = e.reduce((n, x) => n + x.bytes, 0);
    let removed = 0;
    let freed = 0;
    for (const x of e) {
      if (total <= maxBytes) break;
      rmSync(x.file, { force: true });
      rmSync(`${x.file}.sha256`, { force: true });
      total -= x.bytes;
      freed += x.bytes;
      removed++;
    }
    return { removed, freed };
  }
}

// The build stage: the queued artifacts go to TVM build workers; each result
// is reported per cluster, built artifacts are stored in the cache, and a
// cluster with any failed shape set stays in TensorFlow (with a warning, or
// fatal under --strict). Returns the clusters that built, with their artifacts.

import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Toolchain } from '../../backends/python/toolchain.js';
import { buildAll } from '../../backends/tvm/worker.js';
import { errors, warnings, type Diagnostic } from '../../ir/support/diagnostics.js';
import type { BuiltCluster } from '../../passes/rewrite.js';
import type { ClusteredState } from '../../passes/state.js';
import type { BuildCache } from '../cache.js';
import { sha256File, type Staging } from '../output.js';
import type { Unit } from './emit.js';

export type ProgressEvent =
  | { readonly kind: 'start'; readonly total: number; readonly cached: number }
  | { readonly kind: 'done'; readonly id: string; readonly ok: boolean; readonly seconds?: number; readonly done: number; readonly total: number };

export interface ArtifactReport {
  readonly shapes: string;
  readonly path: string | null;
  readonly status: 'built' | 'cached' | 'failed';
  readonly seconds?: number;
  /** The tuning records it applies (relative to OUT), when a tuning database gave any. */
  readonly tuningLog?: string;
  /** 1 when its parallel loops run as one task (--serial-below); absent: the bridge op's thread count. */
  readonly threads?: number;
  readonly error?: string;
  readonly log?: string;
}

/**
 * The default of --serial-below: below about a million operations an
 * artifact ran slower on two threads than on one on the machine measured
 * (docs/bridge-op.md, "Threads").
 */
export const DEFAULT_SERIAL_BELOW = 1_000_000;

export interface BuildOptions {
  readonly out: string;
  readonly jobs: number;
  /** A build running longer (seconds) is stopped and fails: its cluster stays in TensorFlow. */
  readonly buildTimeout?: number;
  readonly strict: boolean;
  /**
   * Artifacts estimated to do fewer operations than this (ir/cost.ts) run
   * their parallel loops as one task: on them, waking another thread costs
   * more than it saves (docs/bridge-op.md, "Threads"). 0: none; default
   * DEFAULT_SERIAL_BELOW.
   */
  readonly serialBelow?: number;
  readonly warn: (d: Diagnostic) => void;
  readonly progress: (event: ProgressEvent) => void;
}

export interface BuildOutcome {
  /** Per cluster, one report per shape set. */
  readonly reports: ReadonlyMap<string, readonly ArtifactReport[]>;
  /** Clusters kept in TensorFlow because a build failed: the first error and its log. */
  readonly failed: ReadonlyMap<string, { readonly error: string; readonly log: string }>;
  /** Clusters whose every shape set built (or was cached), in cluster order. */
  readonly clusters: readonly BuiltCluster[];
  readonly built: number;
  readonly cached: number;
}

/** TVM errors carry a C++ backtrace; the message users need is its last line. */
function lastLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? text;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export async function buildUnits(
  state: ClusteredState,
  units: readonly Unit[],
  toolchain: Toolchain,
  cache: BuildCache,
  staging: Staging,
  opts: BuildOptions,
): Promise<BuildOutcome> {
  const toBuild = units.filter((u) => u.job);
  opts.progress({ kind: 'start', total: toBuild.length, cached: units.length - toBuild.length });
  let done = 0;
  const results = await buildAll(
    toolchain,
    toBuild.map((u) => u.job!),
    {
      jobs: opts.jobs,
      ...(opts.buildTimeout !== undefined ? { worker: { timeoutMs: opts.buildTimeout * 1000 } } : {}),
      onResult: (j, r) =>
        opts.progress({ kind: 'done', id: j.id, ok: r.ok, ...(r.ok ? { seconds: r.seconds } : {}), done: ++done, total: toBuild.length }),
    },
  );
  rmSync(staging.path('.build'), { recursive: true, force: true });

  const below = opts.serialBelow ?? DEFAULT_SERIAL_BELOW;
  const threads = (u: Unit): { threads?: number } => (below > 0 && u.work < below ? { threads: 1 } : {});
  const reports = new Map<string, ArtifactReport[]>(state.clusters.map((c) => [c.name, []]));
  const failed = new Map<string, { error: string; log: string }>();
  const shaOf = new Map<Unit, string>();
  let built = 0;
  for (const u of units) {
    const shapes = state.shapeSets[u.shapeSet]!.key;
    const list = reports.get(u.cluster)!;
    if (!u.job) {
      shaOf.set(u, u.sha256!);
      list.push({ shapes, path: u.rel, status: 'cached', ...threads(u), ...(u.tuningLog ? { tuningLog: u.tuningLog } : {}) });
      continue;
    }
    const r = results[toBuild.indexOf(u)]!;
    if (r.ok) {
      built++;
      const sha = await sha256File(staging.path(u.rel));
      shaOf.set(u, sha);
      cache.store(u.key, staging.path(u.rel), sha);
      list.push({ shapes, path: u.rel, status: 'built', seconds: r.seconds, ...threads(u), ...(u.tuningLog ? { tuningLog: u.tuningLog } : {}) });
    } else {
      const log = r.log ? path.join(opts.out, path.relative(staging.dir, r.log)) : 'none';
      list.push({ shapes, path: null, status: 'failed', error: r.error, log });
      if (!failed.has(u.cluster)) failed.set(u.cluster, { error: lastLine(r.error), log });
    }
  }
  keepFailedInTensorFlow(failed, staging, opts);

  const clusters: BuiltCluster[] = [];
  for (const c of state.clusters) {
    if (failed.has(c.name)) continue;
    const mine = units.filter((u) => u.cluster === c.name);
    clusters.push({
      cluster: c,
      artifacts: mine.map((u) => ({ path: u.rel, sha256: shaOf.get(u)!, shapeSet: u.shapeSet, ...threads(u) })),
    });
  }
  return { reports, failed, clusters, built, cached: units.length - toBuild.length };
}

/** A failed cluster stays in TensorFlow with a warning; under --strict the first failure ends the compile. */
function keepFailedInTensorFlow(failed: ReadonlyMap<string, { error: string; log: string }>, staging: Staging, opts: BuildOptions): void {
  for (const [c, f] of failed) {
    if (opts.strict) {
      // No OUT is written under --strict: keep the log where the user can read it.
      const kept = path.join(os.tmpdir(), 'tf2tvm-logs', `${path.basename(f.log, '.log')}-${process.pid}.log`);
      mkdirSync(path.dirname(kept), { recursive: true });
      copyFileSync(staging.path(path.relative(opts.out, f.log)), kept);
      throw errors.buildFailed(c, `${f.error} (log: ${kept})`);
    }
    opts.warn(warnings.buildFailedKeptInTf(c, f.error, f.log));
    rmSync(staging.path('clusters', c), { recursive: true, force: true });
  }
}

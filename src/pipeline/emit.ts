// The emit stage: every cluster function becomes Relay text in
// OUT/clusters/<cluster>/<shape-key>.relay (emitDrafts), then one artifact to
// produce (lookUpUnits): found in the build cache (copied into place, checked) or
// queued as a build job whose weights are written beside it for the worker.
// With a tuning database, the records an artifact applies are part of its key
// (see tuning.ts), so a database that changes rebuilds only the artifacts
// whose workloads changed.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitRelay, type EmittedRelay } from '../../backends/relay/emit.js';
import { writeParamFiles, writeRelayText } from '../../backends/relay/files.js';
import type { AppliedRecords } from '../../backends/tvm/tuning-db.js';
import type { BuildJob } from '../../backends/tvm/worker.js';
import { estimateWork } from '../../ir/cost.js';
import type { EncapsulatedState } from '../../passes/state.js';
import { cacheKey, type BuildCache } from '../cache.js';
import type { Staging } from '../output.js';

/** What decides an artifact besides its Relay text and weights. */
export interface BuildSettings {
  readonly target: string;
  readonly optLevel: number;
  /** Optimisations to build without (validated, sorted). */
  readonly disableOpts: readonly string[];
  readonly tvmVersion: string;
  /** Hash of the build worker and its modules. */
  readonly scriptHash: string;
}

/** A cluster function emitted as Relay: an artifact before the cache is asked. */
export interface Draft {
  readonly cluster: string;
  readonly shapeSet: number;
  readonly shapeKey: string;
  readonly emitted: EmittedRelay;
  /** The .relay file written into the staging folder. */
  readonly relayFile: string;
  /** The artifact's path relative to OUT. */
  readonly rel: string;
  /** The cache key without tuning records. */
  readonly baseKey: string;
  /**
   * The module built, without tf2tvm's build scripts (Relay text, weights,
   * target, optimisation settings, TVM version): what an auto-scheduler
   * verdict in a tuning database is recorded under, so that a database
   * outlives a change to the project's Python code.
   */
  readonly moduleKey: string;
  /** Estimated operations of one run (ir/cost.ts). */
  readonly work: number;
}

/** One artifact to produce: a cluster's function for one shape set. */
export interface Unit {
  readonly cluster: string;
  readonly shapeSet: number;
  readonly key: string;
  /** Path relative to OUT. */
  readonly rel: string;
  /** Present when the artifact must be built. */
  readonly job?: BuildJob;
  /** sha256 of a cached artifact, known without reading it again. */
  readonly sha256?: string;
  /** The tuning records it applies, relative to OUT (beside the .so). */
  readonly tuningLog?: string;
  /** Estimated operations of one run (ir/cost.ts). */
  readonly work: number;
}

export function emitDrafts(state: EncapsulatedState, settings: BuildSettings, staging: Staging): Draft[] {
  return state.functions.map((f) => {
    const shapeKey = state.shapeSets[f.shapeSet]!.key;
    const relDir = path.join('clusters', f.cluster);
    const emitted = emitRelay(f.fn);
    const relayFile = writeRelayText(staging.path(relDir), shapeKey, emitted);
    const parts = {
      relay: emitted.text,
      params: emitted.params.map((p) => ({ name: p.name, dtype: p.type.dtype, shape: p.type.shape, bytes: p.bytes })),
      target: settings.target,
      optLevel: settings.optLevel,
      disabled: settings.disableOpts,
      tvmVersion: settings.tvmVersion,
    };
    const baseKey = cacheKey({ ...parts, buildScript: settings.scriptHash });
    const moduleKey = cacheKey({ ...parts, buildScript: '' });
    return {
      cluster: f.cluster,
      shapeSet: f.shapeSet,
      shapeKey,
      emitted,
      relayFile,
      rel: path.join(relDir, `${shapeKey}.so`),
      baseKey,
      moduleKey,
      work: estimateWork(f.fn),
    };
  });
}

/** Where a draft's weights go for the worker (removed after the builds). */
export function paramDir(staging: Staging, d: Draft): string {
  return staging.path('.build', d.cluster, d.shapeKey);
}

/** The key of an artifact built with these records: the untuned key when there are none. */
function tunedKey(baseKey: string, records: AppliedRecords | undefined): string {
  return records ? createHash('sha256').update(`tuned\0${baseKey}\0${records.hash}`).digest('hex') : baseKey;
}

export function lookUpUnits(
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  staging: Staging,
  records?: ReadonlyMap<Draft, AppliedRecords>,
): Unit[] {
  const units: Unit[] = [];
  for (const d of drafts) {
    const applied = records?.get(d);
    const key = tunedKey(d.baseKey, applied);
    // The records an artifact applies travel beside it (OUT/clusters/<c>/<shapes>.tuning.log).
    let tuningLog: string | undefined;
    if (applied) {
      tuningLog = d.rel.replace(/\.so$/, '.tuning.log');
      writeFileSync(staging.path(tuningLog), applied.lines.join('\n') + '\n');
    }
    const cachedSha = cache.fetch(key, staging.path(d.rel));
    if (cachedSha) {
      units.push({ cluster: d.cluster, shapeSet: d.shapeSet, key, rel: d.rel, sha256: cachedSha, work: d.work, ...(tuningLog ? { tuningLog } : {}) });
      continue;
    }
    const params = writeParamFiles(paramDir(staging, d), d.emitted);
    mkdirSync(staging.path('logs'), { recursive: true });
    const job: BuildJob = {
      id: `${d.cluster}/${d.shapeKey}`,
      relay: d.relayFile,
      params,
      target: settings.target,
      opt_level: settings.optLevel,
      out: staging.path(d.rel),
      disable: settings.disableOpts,
      ...(tuningLog ? { tuning_log: staging.path(tuningLog), ...(applied!.tuner !== 'autotvm' ? { tuner: applied!.tuner } : {}) } : {}),
      // A failed build's log is kept in OUT/logs; the worker deletes a successful job's log.
      log: staging.path('logs', `${d.cluster}_${d.shapeKey}.log`),
    };
    units.push({ cluster: d.cluster, shapeSet: d.shapeSet, key, rel: d.rel, job, work: d.work, ...(tuningLog ? { tuningLog } : {}) });
  }
  return units;
}

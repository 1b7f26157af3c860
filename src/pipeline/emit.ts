// The emit stage: every cluster function becomes Relay text in
// OUT/clusters/<cluster>/<shape-key>.relay and one artifact to produce, either
// found in the build cache (hard-linked into place) or queued as a build job
// whose weights are written beside it for the worker.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { emitRelay } from '../../backends/relay/emit.js';
import { writeParamFiles, writeRelayText } from '../../backends/relay/files.js';
import { launcherLibrary, tuningThreads, type BuildJob } from '../../backends/tvm/worker.js';
import type { EncapsulatedState } from '../../passes/state.js';
import { cacheKey, type BuildCache } from '../cache.js';
import type { Staging } from '../output.js';

/** What decides an artifact besides its Relay text and weights. */
export interface BuildSettings {
  readonly target: string;
  readonly optLevel: number;
  /** Optimisations to build without (validated, sorted). */
  readonly disableOpts: readonly string[];
  /** AutoTVM trials per task, when tuning. */
  readonly tune?: number;
  /** When tuning: the tasks per parallel loop candidates are timed with (the bridge op's threads). */
  readonly tuneThreads?: number;
  readonly tvmVersion: string;
  /** Hash of the build worker and its modules. */
  readonly scriptHash: string;
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
}

export function emitUnits(state: EncapsulatedState, settings: BuildSettings, cache: BuildCache, staging: Staging): Unit[] {
  const units: Unit[] = [];
  for (const f of state.functions) {
    const set = state.shapeSets[f.shapeSet]!;
    const relDir = path.join('clusters', f.cluster);
    const emitted = emitRelay(f.fn);
    const relayFile = writeRelayText(staging.path(relDir), set.key, emitted);
    const key = cacheKey({
      relay: emitted.text,
      params: emitted.params.map((p) => ({ name: p.name, dtype: p.type.dtype, shape: p.type.shape, bytes: p.bytes })),
      target: settings.target,
      optLevel: settings.optLevel,
      disabled: settings.disableOpts,
      ...(settings.tune ? { tune: settings.tune, tuneThreads: settings.tuneThreads ?? tuningThreads() } : {}),
      tvmVersion: settings.tvmVersion,
      buildScript: settings.scriptHash,
    });
    const rel = path.join(relDir, `${set.key}.so`);
    const tuningLog = settings.tune ? cache.tuningLog(key) : undefined;
    const cachedSha = cache.fetch(key, staging.path(rel));
    if (cachedSha && (!tuningLog || existsSync(tuningLog))) {
      units.push({ cluster: f.cluster, shapeSet: f.shapeSet, key, rel, sha256: cachedSha });
      continue;
    }
    const params = writeParamFiles(staging.path('.build', f.cluster, set.key), emitted);
    mkdirSync(staging.path('logs'), { recursive: true });
    const job: BuildJob = {
      id: `${f.cluster}/${set.key}`,
      relay: relayFile,
      params,
      target: settings.target,
      opt_level: settings.optLevel,
      out: staging.path(rel),
      disable: settings.disableOpts,
      ...(tuningLog && settings.tune
        ? { tune: { trials: settings.tune, log: tuningLog, launcher: launcherLibrary(), threads: settings.tuneThreads ?? tuningThreads() } }
        : {}),
      // A failed build's log is kept in OUT/logs; the worker deletes a successful job's log.
      log: staging.path('logs', `${f.cluster}_${set.key}.log`),
    };
    units.push({ cluster: f.cluster, shapeSet: f.shapeSet, key, rel, job });
  }
  return units;
}

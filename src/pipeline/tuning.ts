// Tuning-database stages shared by `compile --tuning-db` and `tune`: the
// tunable workloads of each artifact (from the build cache, else listed by a
// build worker and remembered there), and the records each artifact applies.

import type { Toolchain } from '../../backends/python/toolchain.js';
import { writeParamFiles } from '../../backends/relay/files.js';
import {
  artifactRecords,
  artifactVerdicts,
  judged,
  readTuningDb,
  recordsFor,
  targetIsa,
  workloadStates,
  type AppliedRecords,
} from '../../backends/tvm/tuning-db.js';
import { BuildWorker, type WorkloadTask } from '../../backends/tvm/worker.js';
import { errors } from '../../ir/support/diagnostics.js';
import type { BuildCache } from '../cache.js';
import type { Staging } from '../output.js';
import { paramDir, type BuildSettings, type Draft } from './emit.js';

/** Each draft's tunable workloads with their weights and flop, listed by a build worker. */
export async function listTasks(
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
): Promise<Map<Draft, WorkloadTask[]>> {
  const out = new Map<Draft, WorkloadTask[]>();
  if (drafts.length === 0) return out;
  const worker = new BuildWorker(toolchain, {});
  try {
    for (const d of drafts) {
      const r = await worker.tasks({
        kind: 'tasks',
        id: `${d.cluster}/${d.shapeKey}`,
        relay: d.relayFile,
        params: writeParamFiles(paramDir(staging, d), d.emitted),
        target: settings.target,
        opt_level: settings.optLevel,
        disable: settings.disableOpts,
      });
      if (!r.ok)
        throw errors.toolchainFailed(`listing the tunable workloads of ${d.cluster}/${d.shapeKey}: ${r.error}${r.log ? ` (log: ${r.log})` : ''}`);
      cache.storeWorkloads(
        d.baseKey,
        r.tasks.map((t) => t.workload),
      );
      out.set(d, [...r.tasks]);
    }
  } finally {
    await worker.close();
  }
  return out;
}

/** Each draft's workload keys: from the build cache, else listed by a worker (and remembered). */
async function artifactWorkloads(
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
): Promise<Map<Draft, string[]>> {
  const out = new Map<Draft, string[]>();
  const missing: Draft[] = [];
  for (const d of drafts) {
    const known = cache.workloads(d.baseKey);
    if (known) out.set(d, known);
    else missing.push(d);
  }
  for (const [d, tasks] of await listTasks(missing, settings, cache, toolchain, staging)) {
    out.set(
      d,
      tasks.map((t) => t.workload),
    );
  }
  return out;
}

/** The records each draft applies from the database `db` (none where no workload gains). */
export async function tuningRecords(
  drafts: readonly Draft[],
  db: string,
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
): Promise<Map<Draft, AppliedRecords>> {
  const entries = readTuningDb(db);
  const isa = targetIsa(settings.target);
  const states = workloadStates(entries, isa);
  const verdicts = artifactVerdicts(entries, isa);
  const out = new Map<Draft, AppliedRecords>();
  // An artifact whose auto-scheduler build won its verdict is built with those records.
  const rest: Draft[] = [];
  for (const d of drafts) {
    const ansor = artifactRecords(verdicts.get(d.moduleKey));
    if (ansor) out.set(d, ansor);
    else rest.push(d);
  }
  if (states.size === 0 || rest.length === 0) return out;
  const workloads = await artifactWorkloads(rest, settings, cache, toolchain, staging);
  const judgements = artifactVerdicts(entries, isa, 'autotvm');
  for (const d of rest) {
    // Each workload's winning record, applied only where the artifact built with them all won too.
    const applied = judged(recordsFor(states, workloads.get(d) ?? []), judgements.get(d.moduleKey));
    if (applied) out.set(d, applied);
  }
  return out;
}

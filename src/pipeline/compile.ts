// The compile driver: a list of stages, each a function of its own file with
// typed input and output: analyze (read, validate, passes) -> emit (Relay,
// cache look-ups) -> build (TVM workers) -> select (optional, measured) ->
// write (rewritten graph, manifest, runtime). Everything lands in a staging
// folder that is renamed into place at the end, so OUT is never partial.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { findToolchain, hostTarget, type Toolchain } from '../../backends/python/toolchain.js';
import type { AppliedRecords } from '../../backends/tvm/tuning-db.js';
import { buildScriptHash, tuningThreads, type Tuner } from '../../backends/tvm/worker.js';
import { errors, warnings, type Diagnostic } from '../../ir/support/diagnostics.js';
import { projectPath } from '../../ir/support/project.js';
import type { ReasonCode } from '../../ir/support/reasons.js';
import type { ClusterOptions, EncapsulatedState } from '../../passes/state.js';
import { BuildCache } from '../cache.js';
import { Staging } from '../output.js';
import { prepareModel, type ModelSelection, type PreparedModel } from '../model-input.js';
import type { ShapeRequest } from '../shapes.js';
import { analyzeModel, summarize, type ClusteringSummary } from './analyze.js';
import { buildUnits, type ArtifactReport, type BuildOutcome, type ProgressEvent } from './build.js';
import { emitDrafts, lookUpUnits, type BuildSettings, type Draft, type Unit } from './emit.js';
import { selectMeasured, timeClusters, type SelectionDecision } from './select.js';
import { tuningRecords } from './tuning.js';
import { tuneDrafts, type TunedModel, type TuneProgress } from './tune.js';
import {
  OP_LIBRARY_RECORD,
  RUNTIME_LIBRARIES,
  writeDepfile,
  writeGraph,
  writeModelFormats,
  writeOnnx,
  writeRuntime,
  type GraphOutput,
} from './write.js';

export type { ArtifactReport, ProgressEvent } from './build.js';

export interface CompileRequest extends ModelSelection {
  /** A frozen GraphDef (.pb, .pbtxt), a SavedModel folder or a Keras file (.keras, .h5). */
  readonly model: string;
  readonly out: string;
  readonly shapes: ShapeRequest;
  /** A shape log (TF2TVM_SHAPE_LOG) whose shapes are compiled too. */
  readonly shapesFrom?: string;
  readonly cluster: ClusterOptions;
  readonly target?: string;
  readonly optLevel: number;
  /** Optimisations to build without (validated, sorted: see backends/tvm/optimizations.ts). */
  readonly disableOpts?: readonly string[];
  /** Tune-then-compile: N candidates for the model, into tuningDb or the build cache's database. */
  readonly tune?: number;
  /** The tuner of --tune (default autotvm). */
  readonly tuner?: Tuner;
  readonly tuneProgress?: (e: TuneProgress) => void;
  /** A tuning database (`tf2tvm tune`) whose records the builds apply. */
  readonly tuningDb?: string;
  readonly strict: boolean;
  /** Other formats to write each cluster in: 'onnx' (OUT/clusters/<cluster>/<shape-key>.onnx). */
  readonly emit?: readonly 'onnx'[];
  /** Also write OUT/model.pbtxt, the rewritten graph as text (compile --emit-pbtxt). */
  readonly emitPbtxt?: boolean;
  /** false: bridge ops get no fallback function (compile --no-fallback). Default true. */
  readonly fallback?: boolean;
  readonly jobs: number;
  /** Artifacts estimated below this many operations run their parallel loops as one task (build.ts). */
  readonly serialBelow?: number;
  /** Seconds a TVM build may take; one that takes longer fails (its cluster stays in TensorFlow). Default: no limit. */
  readonly buildTimeout?: number;
  readonly cacheDir: string;
  readonly depfile?: string;
  /** 'measured': keep only the clusters TVM runs faster than TensorFlow. */
  readonly select: 'all' | 'measured';
  readonly selectMargin: number;
  readonly selectRuns: number;
  /** With --select measured: how many times a lost cluster's parts may be split again (0: never; default 2). */
  readonly selectSplitDepth?: number;
  readonly printAfter: readonly string[];
  readonly verifyIr: boolean;
  readonly print: (pass: string, text: string) => void;
  readonly warn: (d: Diagnostic) => void;
  readonly progress: (event: ProgressEvent) => void;
}

export interface CompileResult extends ClusteringSummary {
  readonly clusters: readonly { name: string; nodes: readonly string[]; artifacts: readonly ArtifactReport[] }[];
  /** Clusters in the rewritten graph (built, and kept by --select measured). */
  readonly kept: number;
  readonly built: number;
  readonly cached: number;
  readonly failed: number;
  readonly target: string;
  readonly tvmVersion: string;
  readonly timings: Readonly<Record<string, number>>;
  readonly selection?: readonly SelectionDecision[];
  /** With --tune: what was tuned. */
  readonly tuning?: TunedModel;
}

function checkOutDir(model: string, out: string): void {
  const m = path.resolve(model);
  const o = path.resolve(out);
  if (m === o || m.startsWith(o + path.sep)) throw errors.outIsInput(out);
}

/** Wall time per stage, in milliseconds, as `--json` reports it. */
class Laps {
  readonly timings: Record<string, number> = {};
  private readonly t0 = performance.now();
  private t = this.t0;

  lap(name: string): void {
    const now = performance.now();
    this.timings[name] = Math.round(now - this.t);
    this.t = now;
  }

  total(): Record<string, number> {
    this.timings.total_ms = Math.round(performance.now() - this.t0);
    return this.timings;
  }
}

/**
 * The tune stage of a compile: with --tune N, the drafts are tuned into
 * --tuning-db or the build cache's database for them (tune-then-compile);
 * with a database, the records each artifact applies.
 */
async function tuneStage(
  req: CompileRequest,
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
): Promise<{ db?: string; tuning?: TunedModel; records?: ReadonlyMap<Draft, AppliedRecords> }> {
  const db = req.tuningDb ?? (req.tune ? cache.modelTuningDb(drafts.map((d) => d.baseKey)) : undefined);
  if (!db) return {};
  const tuning = req.tune
    ? await tuneDrafts(drafts, settings, cache, toolchain, staging, {
        db,
        trials: req.tune,
        ...(req.tuner ? { tuner: req.tuner } : {}),
        threads: tuningThreads(),
        progress: req.tuneProgress ?? (() => undefined),
        warn: req.warn,
      })
    : undefined;
  const records = await tuningRecords(drafts, db, settings, cache, toolchain, staging);
  return { db, records, ...(tuning ? { tuning } : {}) };
}

/** What the write stage records besides the graph: names, target, failures, fallback, tuning. */
function graphOutput(
  req: CompileRequest,
  model: PreparedModel,
  settings: BuildSettings,
  failed: BuildOutcome['failed'],
  units: readonly Unit[],
  db: string | undefined,
): GraphOutput {
  const warned = new Set<string>();
  return {
    model: path.basename(path.resolve(req.model)),
    ...(model.frozen ? { source: { format: model.format, frozen: model.frozen } } : {}),
    fallback: req.fallback !== false,
    noFunction: (cluster: string, why: string): void => {
      if (!warned.has(cluster)) req.warn(warnings.noNativeFunction(cluster, why));
      warned.add(cluster);
    },
    target: settings.target,
    tvmVersion: settings.tvmVersion,
    failed,
    tuningLogs: new Map(units.flatMap((u) => (u.tuningLog ? [[u.rel, u.tuningLog] as const] : []))),
    ...(db ? { tuning: { db, ...(req.tune ? { trials: req.tune } : {}) } } : {}),
  };
}

export async function compile(req: CompileRequest): Promise<CompileResult> {
  checkOutDir(req.model, req.out);
  const model = await prepareModel(req.model, req);
  try {
    return await compileGraph(req, model);
  } finally {
    model.dispose();
  }
}

async function compileGraph(req: CompileRequest, model: PreparedModel): Promise<CompileResult> {
  const laps = new Laps();
  const state = await analyzeModel(model.graph, req.shapes, req.cluster, req);
  laps.lap('passes_ms');

  const toolchain = await findToolchain();
  const settings: BuildSettings = {
    target: req.target ?? hostTarget(),
    optLevel: req.optLevel,
    disableOpts: req.disableOpts ?? [],
    tvmVersion: await toolchain.tvmVersion(),
    scriptHash: buildScriptHash(),
  };
  const runtimeDir = projectPath('build', 'runtime');
  for (const f of [...RUNTIME_LIBRARIES, OP_LIBRARY_RECORD])
    if (!existsSync(path.join(runtimeDir, f))) throw errors.runtimeMissing(path.join(runtimeDir, f));
  const cache = new BuildCache(req.cacheDir);

  const staging = new Staging(req.out);
  try {
    const drafts = emitDrafts(state, settings, staging);
    const { db, tuning, records } = await tuneStage(req, drafts, settings, cache, toolchain, staging);
    if (tuning) laps.lap('tune_ms');
    const units = lookUpUnits(drafts, settings, cache, staging, records);
    laps.lap('emit_ms');

    const build = await buildUnits(state, units, toolchain, cache, staging, req);
    laps.lap('tvm_build_ms');
    writeRuntime(staging, runtimeDir);

    const allUnits = [...units];
    writeGraph(staging, state, build.clusters, graphOutput(req, model, settings, build.failed, allUnits, db));
    let final = state;
    let kept = build.clusters;
    let selection: SelectionDecision[] | undefined;
    const builds: BuildOutcome[] = [build];
    if (req.select === 'measured' && kept.length > 0) {
      // A lost cluster's parts: emitted, looked up and built as the first clusters were.
      const buildParts = async (s: EncapsulatedState, names: readonly string[]): Promise<BuildOutcome> => {
        const only = new Set(names);
        const sub = { ...s, clusters: s.clusters.filter((c) => only.has(c.name)), functions: s.functions.filter((f) => only.has(f.cluster)) };
        const partDrafts = emitDrafts(sub, settings, staging);
        const partRecords = db ? await tuningRecords(partDrafts, db, settings, cache, toolchain, staging) : undefined;
        const partUnits = lookUpUnits(partDrafts, settings, cache, staging, partRecords);
        allUnits.push(...partUnits);
        return buildUnits(sub, partUnits, toolchain, cache, staging, req);
      };
      const outcome = await selectMeasured(staging, state, kept, {
        time: (clusters) => timeClusters(model.graph, staging.dir, req.selectRuns, clusters),
        margin: req.selectMargin,
        splitDepth: req.selectSplitDepth ?? 2,
        buildParts,
        write: (s, clusters) => writeGraph(staging, s, clusters, graphOutput(req, model, settings, build.failed, allUnits, db)),
      });
      ({ state: final, kept, decisions: selection } = outcome);
      builds.push(...outcome.partBuilds);
      laps.lap('select_ms');
    }
    const failed = new Map(builds.flatMap((b) => [...b.failed]));
    if (selection) {
      writeGraph(staging, final, kept, {
        ...graphOutput(req, model, settings, failed, allUnits, db),
        selection: { margin: req.selectMargin, clusters: selection },
      });
    }

    const removed = new Map<string, { reason: ReasonCode; message: string }>();
    for (const [c, f] of failed) removed.set(c, { reason: 'build-failed', message: f.error });
    for (const d of selection ?? []) if (!d.keep && !d.split_into) removed.set(d.cluster, { reason: 'not-faster', message: d.why });
    const summary = summarize(final, new Set(kept.map((b) => b.cluster.name)), removed);
    await writeModelFormats(staging, model, { pbtxt: req.emitPbtxt === true });
    if (req.emit?.includes('onnx')) writeOnnx(staging, final, new Set(kept.map((b) => b.cluster.name)), req.warn);
    laps.lap('formats_ms');
    staging.commit();
    if (req.depfile) writeDepfile(req.depfile, req.out, req.model);
    laps.lap('write_ms');
    const reports = new Map(builds.flatMap((b) => [...b.reports]));
    return {
      ...summary,
      clusters: final.clusters.map((c) => ({ name: c.name, nodes: c.nodes, artifacts: reports.get(c.name)! })),
      kept: kept.length,
      built: builds.reduce((n, b) => n + b.built, 0),
      cached: builds.reduce((n, b) => n + b.cached, 0),
      failed: failed.size,
      target: settings.target,
      tvmVersion: settings.tvmVersion,
      timings: laps.total(),
      ...(selection ? { selection } : {}),
      ...(tuning ? { tuning } : {}),
    };
  } finally {
    staging.discard();
  }
}

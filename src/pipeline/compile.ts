// The compile driver: read -> validate -> passes -> Relay -> TVM builds (or
// the cache) -> rewrite -> write, as one linear function. Per-run state is
// explicit; everything lands in a staging folder renamed into place at the end.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emitRelay } from '../../backends/relay/emit.js';
import { writeNpy } from '../../backends/relay/npy.js';
import { findToolchain, hostTarget } from '../../backends/python/toolchain.js';
import { buildAll, buildScriptHash, type BuildJob, type TuningReport } from '../../backends/tvm/worker.js';
import { rewriteGraph, type BuiltCluster } from '../../passes/rewrite.js';
import { PIPELINE } from '../../passes/index.js';
import { hasUnknownTypes, inferShapes } from '../../passes/infer-shapes.js';
import { tensorflowShapes } from '../../backends/tf/shapes.js';
import { decide, timeClusters, type SelectionDecision } from './select.js';
import type { ReasonCode } from '../../ir/support/reasons.js';
import { BuildCache, cacheKey } from '../cache.js';
import { errors, warnings, type Diagnostic } from '../../ir/support/diagnostics.js';
import { encodeGraphDef, readGraphDef } from '../../ir/tf/graphdef/io.js';
import { validateGraph } from '../../ir/tf/graphdef/validate.js';
import { Staging, sha256File } from '../output.js';
import { projectPath } from '../../ir/support/project.js';
import { resolveShapeSets, type ShapeRequest } from '../shapes.js';
import { GraphView } from '../../ir/tf/graph.js';
import { summarize, type ClusteringSummary } from './analyze.js';
import { runPasses } from '../../passes/pass-manager.js';
import type { ClusterOptions, State } from '../../passes/state.js';

export interface CompileRequest {
  readonly model: string;
  readonly out: string;
  readonly shapes: ShapeRequest;
  readonly cluster: ClusterOptions;
  readonly target?: string;
  readonly optLevel: number;
  /** Optimisations to build without (validated, sorted: see optimizations.ts). */
  readonly disableOpts?: readonly string[];
  /** AutoTVM trials per task; logs kept in the build cache. */
  readonly tune?: number;
  readonly strict: boolean;
  readonly jobs: number;
  readonly cacheDir: string;
  readonly depfile?: string;
  /** 'measured': keep only the clusters TVM runs faster than TensorFlow. */
  readonly select: 'all' | 'measured';
  readonly selectMargin: number;
  readonly selectRuns: number;
  readonly printAfter: readonly string[];
  readonly verifyIr: boolean;
  readonly print: (pass: string, text: string) => void;
  readonly warn: (d: Diagnostic) => void;
  readonly progress: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly kind: 'start'; readonly total: number; readonly cached: number }
  | { readonly kind: 'done'; readonly id: string; readonly ok: boolean; readonly seconds?: number; readonly done: number; readonly total: number };

export interface ArtifactReport {
  readonly shapes: string;
  readonly path: string | null;
  readonly status: 'built' | 'cached' | 'failed';
  readonly seconds?: number;
  /** With --tune: the worker's tuning report (reused log, or per-task results). */
  readonly tuning?: TuningReport;
  readonly error?: string;
  readonly log?: string;
}

export interface CompileResult extends ClusteringSummary {
  readonly clusters: readonly { name: string; nodes: readonly string[]; artifacts: readonly ArtifactReport[] }[];
  readonly built: number;
  readonly cached: number;
  readonly failed: number;
  readonly target: string;
  readonly tvmVersion: string;
  readonly timings: Readonly<Record<string, number>>;
  readonly selection?: readonly SelectionDecision[];
}

/** Front half shared with `inspect`: read, validate, run the passes. */
export async function analyzeModel(
  model: string,
  shapes: ShapeRequest,
  cluster: ClusterOptions,
  pm: { printAfter: readonly string[]; verifyIr: boolean; print: (pass: string, text: string) => void },
): Promise<State> {
  const graph = await readGraphDef(model);
  validateGraph(graph);
  const view = new GraphView(graph);
  const shapeSets = resolveShapeSets(view, shapes);
  const pmOpts = { verify: pm.verifyIr, printAfter: pm.printAfter, print: pm.print };
  const first = runPasses([inferShapes], { graph, view, shapeSets, options: cluster }, { ...pmOpts, printAfter: [] });
  // Only when our own rules leave tensors unknown is TensorFlow asked (a Python start).
  const hints = hasUnknownTypes(first) ? await tensorflowShapes(model, shapeSets) : undefined;
  return runPasses(PIPELINE, { graph, view, shapeSets, options: cluster, ...(hints ? { hints } : {}) }, pmOpts);
}

function checkOutDir(model: string, out: string): void {
  const m = path.resolve(model);
  const o = path.resolve(out);
  if (m === o || m.startsWith(o + path.sep)) throw errors.outIsInput(out);
}

/** One artifact to produce: a cluster's function for one shape set. */
interface Unit {
  readonly cluster: string;
  readonly shapeSet: number;
  readonly key: string;
  /** Path relative to OUT. */
  readonly rel: string;
  readonly job?: BuildJob;
  /** sha256 of a cached artifact, known without reading it again. */
  readonly sha256?: string;
}

/** TVM errors carry a C++ backtrace; the message users need is its last line. */
function lastLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? text;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function makeDepfile(out: string, model: string): string {
  const esc = (p: string): string => p.replace(/([ #$])/g, '\\$1');
  const deps = [model, projectPath('scripts', 'toolchain', 'pins.txt'), projectPath('scripts', 'toolchain', 'constraints.txt')];
  return `${esc(path.join(out, 'model.pb'))}: ${deps.map((d) => esc(path.resolve(d))).join(' ')}\n`;
}

export async function compile(req: CompileRequest): Promise<CompileResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number): number => {
    const now = performance.now();
    timings[name] = Math.round(now - since);
    return now;
  };
  checkOutDir(req.model, req.out);
  const state = await analyzeModel(req.model, req.shapes, req.cluster, req);
  let t = lap('passes_ms', t0);

  const toolchain = await findToolchain();
  const target = req.target ?? hostTarget();
  const tvmVersion = await toolchain.tvmVersion();
  const scriptHash = buildScriptHash();
  const runtimeDir = projectPath('build', 'runtime');
  if (!existsSync(path.join(runtimeDir, 'libtf2tvm_op.so'))) throw errors.runtimeMissing(path.join(runtimeDir, 'libtf2tvm_op.so'));
  const cache = new BuildCache(req.cacheDir);

  const staging = new Staging(req.out);
  try {
    // Emit every function; look each artifact up in the cache; queue the rest.
    const units: Unit[] = [];
    for (const f of state.functions!) {
      const set = state.shapeSets[f.shapeSet]!;
      const relDir = path.join('clusters', f.cluster);
      mkdirSync(staging.path(relDir), { recursive: true });
      const emitted = emitRelay(f.fn);
      const relayFile = staging.path(relDir, `${set.key}.relay`);
      writeFileSync(relayFile, emitted.text);
      const key = cacheKey({
        relay: emitted.text,
        params: emitted.params.map((p) => ({ name: p.name, dtype: p.type.dtype, shape: p.type.shape, bytes: p.bytes })),
        target,
        optLevel: req.optLevel,
        disabled: req.disableOpts ?? [],
        ...(req.tune ? { tune: req.tune } : {}),
        tvmVersion,
        buildScript: scriptHash,
      });
      const rel = path.join(relDir, `${set.key}.so`);
      const tuningLog = req.tune ? cache.tuningLog(key) : undefined;
      const cachedSha = cache.fetch(key, staging.path(rel));
      if (cachedSha && (!tuningLog || existsSync(tuningLog))) {
        units.push({ cluster: f.cluster, shapeSet: f.shapeSet, key, rel, sha256: cachedSha });
        continue;
      }
      const paramDir = staging.path('.build', f.cluster, set.key);
      mkdirSync(paramDir, { recursive: true });
      const params: Record<string, string> = {};
      for (const p of emitted.params) {
        params[p.name] = path.join(paramDir, `${p.name}.npy`);
        writeNpy(params[p.name]!, p.type, p.bytes);
      }
      mkdirSync(staging.path('logs'), { recursive: true });
      const job: BuildJob = {
        id: `${f.cluster}/${set.key}`,
        relay: relayFile,
        params,
        target,
        opt_level: req.optLevel,
        out: staging.path(rel),
        disable: req.disableOpts ?? [],
        ...(tuningLog ? { tune: { trials: req.tune!, log: tuningLog } } : {}),
        // A failed build's log is kept in OUT/logs; the worker deletes a successful job's log.
        log: staging.path('logs', `${f.cluster}_${set.key}.log`),
      };
      units.push({ cluster: f.cluster, shapeSet: f.shapeSet, key, rel, job });
    }
    t = lap('emit_ms', t);

    const toBuild = units.filter((u) => u.job);
    req.progress({ kind: 'start', total: toBuild.length, cached: units.length - toBuild.length });
    let done = 0;
    const results = await buildAll(
      toolchain,
      toBuild.map((u) => u.job!),
      {
        // Tuning times candidates: two builds at once would time each other.
        jobs: req.tune ? 1 : req.jobs,
        onResult: (j, r) =>
          req.progress({ kind: 'done', id: j.id, ok: r.ok, ...(r.ok ? { seconds: r.seconds } : {}), done: ++done, total: toBuild.length }),
      },
    );
    t = lap('tvm_build_ms', t);
    rmSync(staging.path('.build'), { recursive: true, force: true });

    // Collect reports; a cluster with any failed shape set stays in TensorFlow.
    const reports = new Map<string, ArtifactReport[]>(state.clusters!.map((c) => [c.name, []]));
    const failed = new Map<string, { error: string; log: string }>();
    let built = 0;
    const shaOf = new Map<Unit, string>(units.filter((u) => u.sha256).map((u) => [u, u.sha256!]));
    for (const u of units) {
      const key = state.shapeSets[u.shapeSet]!.key;
      const list = reports.get(u.cluster)!;
      if (!u.job) {
        list.push({ shapes: key, path: u.rel, status: 'cached' });
        continue;
      }
      const r = results[toBuild.indexOf(u)]!;
      if (r.ok) {
        built++;
        const sha = await sha256File(staging.path(u.rel));
        shaOf.set(u, sha);
        cache.store(u.key, staging.path(u.rel), sha);
        list.push({ shapes: key, path: u.rel, status: 'built', seconds: r.seconds, ...(r.tuning ? { tuning: r.tuning } : {}) });
      } else {
        const log = r.log ? path.join(req.out, path.relative(staging.dir, r.log)) : 'none';
        list.push({ shapes: key, path: null, status: 'failed', error: r.error, log });
        if (!failed.has(u.cluster)) failed.set(u.cluster, { error: lastLine(r.error), log });
      }
    }
    for (const [c, f] of failed) {
      if (req.strict) {
        // No OUT is written under --strict: keep the log where the user can read it.
        const kept = path.join(os.tmpdir(), 'tf2tvm-logs', `${path.basename(f.log, '.log')}-${process.pid}.log`);
        mkdirSync(path.dirname(kept), { recursive: true });
        copyFileSync(staging.path(path.relative(req.out, f.log)), kept);
        throw errors.buildFailed(c, `${f.error} (log: ${kept})`);
      }
      req.warn(warnings.buildFailedKeptInTf(c, f.error, f.log));
      rmSync(staging.path('clusters', c), { recursive: true, force: true });
    }

    let builtClusters: BuiltCluster[] = [];
    for (const c of state.clusters!) {
      if (failed.has(c.name)) continue;
      const artifacts = [];
      for (const u of units.filter((x) => x.cluster === c.name)) {
        artifacts.push({ path: u.rel, sha256: shaOf.get(u)!, shapeSet: u.shapeSet });
        if (req.tune) {
          // The log the artifact was built with, beside it (from the cache).
          copyFileSync(cache.tuningLog(u.key), staging.path(u.rel.replace(/\.so$/, '.tuning.log')));
        }
      }
      builtClusters.push({ cluster: c, artifacts });
    }
    mkdirSync(staging.path('runtime'));
    for (const f of ['libtf2tvm_op.so', 'libtvm_runtime.so']) copyFileSync(path.join(runtimeDir, f), staging.path('runtime', f));
    copyFileSync(projectPath('runtime', 'tf2tvm_runtime.py'), staging.path('runtime', 'tf2tvm_runtime.py'));
    if (existsSync(staging.path('logs')) && readdirSync(staging.path('logs')).length === 0) rmSync(staging.path('logs'), { recursive: true });

    const removed = new Map<string, { reason: ReasonCode; message: string }>([...failed].map(([c, f]) => [c, { reason: 'build-failed' as const, message: f.error }]));
    const write = (clusters: readonly BuiltCluster[], selection?: readonly SelectionDecision[]): void => {
      writeFileSync(staging.path('model.pb'), encodeGraphDef(rewriteGraph(state, clusters, { tvmVersion, target })));
      const manifest = {
        tf2tvm: 1,
        model: path.basename(req.model),
        target,
        tvm_version: tvmVersion,
        shape_sets: state.shapeSets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })),
        clusters: clusters.map((b) => ({
          name: b.cluster.name,
          nodes: b.cluster.nodes,
          inputs: b.cluster.inputs.map((x) => `${x.node}:${x.index}`),
          outputs: b.cluster.outputs.map((x) => `${x.node}:${x.index}`),
          artifacts: b.artifacts.map((a) => ({
            shapes: state.shapeSets[a.shapeSet]!.key,
            path: a.path,
            sha256: a.sha256,
            ...(req.tune ? { tuning: { trials: req.tune, log: a.path.replace(/\.so$/, '.tuning.log') } } : {}),
          })),
        })),
        failed: [...failed].map(([name, f]) => ({ name, error: f.error })),
        ...(selection ? { selection: { mode: 'measured', margin: req.selectMargin, clusters: selection } } : {}),
      };
      writeFileSync(staging.path('manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    };
    write(builtClusters);
    let selection: SelectionDecision[] | undefined;
    if (req.select === 'measured' && builtClusters.length > 0) {
      // Time every built cluster from the provisional output, then keep the winners.
      const timingsByCluster = await timeClusters(req.model, staging.dir, req.selectRuns);
      selection = decide(builtClusters.map((b) => b.cluster.name), timingsByCluster, req.selectMargin);
      for (const d of selection) {
        if (d.keep) continue;
        removed.set(d.cluster, { reason: 'not-faster', message: d.why });
        rmSync(staging.path('clusters', d.cluster), { recursive: true, force: true });
      }
      builtClusters = builtClusters.filter((b) => !removed.has(b.cluster.name));
      write(builtClusters, selection);
      t = lap('select_ms', t);
    }

    const kept = new Set(builtClusters.map((b) => b.cluster.name));
    const summary = summarize(state, kept, removed);
    staging.commit();
    if (req.depfile) writeFileSync(req.depfile, makeDepfile(req.out, req.model));
    lap('write_ms', t);
    timings.total_ms = Math.round(performance.now() - t0);
    const clusters = state.clusters!.map((c) => ({ name: c.name, nodes: c.nodes, artifacts: reports.get(c.name)! }));
    const cached = units.length - toBuild.length;
    return { ...summary, clusters, built, cached, failed: failed.size, target, tvmVersion, timings, ...(selection ? { selection } : {}) };
  } finally {
    staging.discard();
  }
}

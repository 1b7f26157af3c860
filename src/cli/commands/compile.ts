// tf2tvm compile MODEL -o OUT

import os from 'node:os';
import type { Command } from 'commander';
import { compile } from '../../pipeline/compile.js';
import { countsJson, summaryLine } from '../../pipeline/analyze.js';
import { DEFAULT_SERIAL_BELOW } from '../../pipeline/build.js';
import { defaultCacheDir } from '../../cache.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { printDiagnostic, printJson, runCommand } from '../output.js';
import { progressReporter, tuneProgressReporter } from '../progress.js';
import { tunerOption } from './tune.js';
import type { Tuner } from '../../../backends/tvm/worker.js';
import { OPTIMIZATIONS, disabledOptimizations } from '../../../backends/tvm/optimizations.js';
import {
  addGraphOptions,
  addModelOptions,
  clusterOptions,
  commaList,
  modelSelection,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  selectMode,
  type ClusterFlags,
  type ModelFlags,
} from '../options.js';

interface Flags extends ClusterFlags, ModelFlags {
  out: string;
  buildTimeout?: number;
  serialBelow: number;
  shapes?: string[];
  batch?: number[];
  shapesFrom?: string;
  cacheDir?: string;
  depfile?: string;
  select: 'all' | 'measured';
  selectMargin: number;
  selectRuns: number;
  selectSplitDepth: number;
  target?: string;
  optLevel: number;
  disableOpt?: string[];
  tune?: number;
  tuner: Tuner;
  tuningDb?: string;
  strict?: boolean;
  fallback: boolean;
  emitPbtxt?: boolean;
  emit?: string[];
  json?: boolean;
  jobs?: number;
  printIrAfter?: string[];
  verifyIr?: boolean;
}

function emitFormats(names: readonly string[]): 'onnx'[] {
  for (const n of names) if (n !== 'onnx') throw errors.badFlag('--emit', `unknown format '${n}' (formats: onnx)`);
  return names.length ? ['onnx'] : [];
}

export function registerCompile(program: Command): void {
  const cmd = program
    .command('compile')
    .description('compile the TVM-friendly parts of a model and write a rewritten graph (and, for a SavedModel, a rewritten SavedModel)')
    .argument('<model>', 'frozen GraphDef (.pb, or text .pbtxt), SavedModel folder, or Keras file (.keras, .h5)')
    .requiredOption('-o, --out <dir>', 'output folder (written atomically)');
  addGraphOptions(addModelOptions(cmd))
    .option('--shapes-from <file>', 'also compile the input shapes a shape log holds (written by bridge ops under TF2TVM_SHAPE_LOG=FILE)')
    .option('--target <target>', 'TVM target (default: llvm for the host CPU)')
    .option('--opt-level <n>', 'TVM optimisation level', (v) => Number(v), 3)
    .option(
      '--tune <trials>',
      'tune-then-compile: N measured candidates for the model, spread over its workloads (as tf2tvm tune), into --tuning-db or the build cache; slow',
      positiveInt,
    )
    .addOption(tunerOption())
    .option('--tuning-db <file>', "apply a tuning database written by tf2tvm tune (each workload's best record, where it beat the untuned schedule)")
    .option(
      '--disable-opt <names>',
      `build without these optimisations (comma-separated: ${OPTIMIZATIONS.map((x) => x.name).join(', ')}; see docs/performance.md)`,
      commaList,
    )
    .option('-j, --jobs <n>', 'parallel TVM builds', positiveInt)
    .option(
      '--build-timeout <seconds>',
      'stop a TVM build that takes longer: its cluster stays in TensorFlow with warning TF2TVM3101 (fatal with --strict); default no limit',
      positiveInt,
    )
    .option(
      '--serial-below <ops>',
      'artifacts estimated to do fewer operations per run run their parallel loops on one thread (waking a second costs more than it saves; 0: never)',
      nonNegativeNumber,
      DEFAULT_SERIAL_BELOW,
    )
    .option('--cache-dir <dir>', 'content-addressed build cache shared between output folders', defaultCacheDir())
    .option('--depfile <file>', 'write a Make dependency line for OUT/model.pb')
    .option('--select <mode>', 'all: keep every built cluster; measured: keep only clusters TVM runs faster than TensorFlow', selectMode, 'all')
    .option('--select-margin <x>', 'with --select measured: how much faster TVM must be (0.05 = 5%)', nonNegativeNumber, 0.05)
    .option('--select-runs <n>', 'with --select measured: timed runs per cluster and side', positiveInt, 30)
    .option(
      '--select-split-depth <n>',
      'with --select measured: split a cluster TVM loses in two and time the parts, up to N levels deep (0: never split)',
      nonNegativeInt,
      2,
    )
    .option('--strict', 'a cluster that fails to build is fatal (exit 3)')
    .option('--no-fallback', 'write no TensorFlow fallback functions: a bridge op then fails where no artifact can run (see docs/bridge-op.md)')
    .option(
      '--emit <formats>',
      'also write each cluster in these formats (comma-separated: onnx -> OUT/clusters/<cluster>/<shape-key>.onnx)',
      commaList,
    )
    .option('--emit-pbtxt', 'also write OUT/model.pbtxt: the rewritten graph in protobuf text format, for diffs')
    .option('--print-ir-after <pass>', "print the IR after a pass ('all' for every pass)", commaList)
    .option('--verify-ir', 'run the IR verifier after every pass')
    .option('--json', 'print one JSON document on stdout')
    .action(async (model: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        if (o.batch && o.shapes) throw errors.usage('give either --batch or --shapes, not both');
        const r = await compile({
          model,
          ...modelSelection(o),
          out: o.out,
          shapes: o.batch ? { batch: o.batch } : (o.shapes ?? []),
          ...(o.shapesFrom !== undefined ? { shapesFrom: o.shapesFrom } : {}),
          cacheDir: o.cacheDir ?? defaultCacheDir(),
          select: o.select,
          selectMargin: o.selectMargin,
          selectRuns: o.selectRuns,
          selectSplitDepth: o.selectSplitDepth,
          ...(o.depfile ? { depfile: o.depfile } : {}),
          cluster: clusterOptions(o),
          ...(o.target ? { target: o.target } : {}),
          optLevel: o.optLevel,
          disableOpts: disabledOptimizations(o.disableOpt ?? []),
          ...(o.tune ? { tune: o.tune, tuner: o.tuner } : {}),
          ...(o.tuningDb ? { tuningDb: o.tuningDb } : {}),
          strict: Boolean(o.strict),
          fallback: o.fallback,
          emitPbtxt: Boolean(o.emitPbtxt),
          emit: emitFormats(o.emit ?? []),
          jobs: o.jobs ?? os.availableParallelism(),
          serialBelow: o.serialBelow,
          ...(o.buildTimeout ? { buildTimeout: o.buildTimeout } : {}),
          printAfter: o.printIrAfter ?? [],
          verifyIr: Boolean(o.verifyIr),
          print: (pass, text) => process.stderr.write(`// ----- IR after ${pass} -----\n${text}`),
          warn: printDiagnostic,
          progress: progressReporter(Boolean(o.json)),
          tuneProgress: tuneProgressReporter(Boolean(o.json)),
        });
        if (o.json) {
          printJson({
            ok: true,
            nodes: r.nodes,
            clustered_nodes: r.clusteredNodes,
            ...countsJson(r),
            clusters: r.clusters,
            kept_clusters: r.kept,
            unclustered: r.unclustered,
            built: r.built,
            cached: r.cached,
            failed: r.failed,
            target: r.target,
            tvm_version: r.tvmVersion,
            timings: r.timings,
            ...(r.selection ? { selection: r.selection } : {}),
            ...(r.tuning ? { tuning: r.tuning } : {}),
          });
        } else {
          process.stderr.write(`${summaryLine(r, r.kept)}; artifacts: ${r.built} built, ${r.cached} cached, ${r.failed} failed -> ${o.out}\n`);
        }
        return 0;
      });
    });
}

// tf2tvm tune MODEL --trials N --tuning-db FILE: tune the model's workloads
// into a tuning database that `compile --tuning-db FILE` applies.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { disabledOptimizations, OPTIMIZATIONS } from '../../../backends/tvm/optimizations.js';
import { TUNERS, tuningThreads, type Tuner } from '../../../backends/tvm/worker.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { defaultCacheDir } from '../../cache.js';
import { tune, type TuneResult } from '../../pipeline/tune.js';
import { formatMs as ms, tuneProgressReporter } from '../progress.js';
import {
  addGraphOptions,
  addModelOptions,
  clusterOptions,
  commaList,
  modelSelection,
  positiveInt,
  type ClusterFlags,
  type ModelFlags,
} from '../options.js';
import { printDiagnostic, printJson, runCommand } from '../output.js';

interface Flags extends ClusterFlags, ModelFlags {
  trials: number;
  tuner: Tuner;
  tuningDb: string;
  shapes?: string[];
  batch?: number[];
  target?: string;
  optLevel: number;
  disableOpt?: string[];
  threads?: number;
  rpcTracker?: string;
  rpcKey?: string;
  cacheDir?: string;
  json?: boolean;
}

/** HOST:PORT of an RPC tracker. */
function trackerAddress(value: string): string {
  const m = /^(.+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`'${value}' is not HOST:PORT`);
  return value;
}

function table(r: TuneResult): string {
  const head = ['workload', 'weight', 'cands', 'untuned ms', 'best ms', 'GFLOP/s', '% peak'];
  const rows = r.workloads.map((w) => [
    w.workload.length > 70 ? `${w.workload.slice(0, 67)}...` : w.workload,
    String(w.weight),
    `${w.candidates}/${w.allotted}`,
    ms(w.untuned_ms),
    ms(w.best_ms),
    w.gflops === null ? '-' : w.gflops.toFixed(1),
    w.peak_pct === null ? '-' : w.peak_pct.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const judged = r.artifacts.map(
    (a) =>
      `${a.artifact}: ${a.records} record${a.records === 1 ? '' : 's'}` +
      (a.untuned_ms !== null && a.tuned_ms !== null ? `, whole build untuned ${ms(a.untuned_ms)} ms, tuned ${ms(a.tuned_ms)} ms` : '') +
      (a.applied ? ': applied' : a.records > 0 ? ': not applied (the whole build did not gain)' : ''),
  );
  return [fmt(head), ...rows.map(fmt), '', ...judged].join('\n') + '\n';
}

/** --tuner NAME: which search a tune runs (docs/tuners.md). */
export function tunerOption(): Option {
  return new Option(
    '--tuner <name>',
    "autotvm: TVM's templates, a record per workload where it beats the untuned schedule; ansor: the auto-scheduler, its records per artifact where the whole build beats the untuned one",
  )
    .choices(TUNERS)
    .default('autotvm');
}

export function registerTune(program: Command): void {
  const cmd = program
    .command('tune')
    .description("tune the model's convolutions and dense products into a tuning database for compile --tuning-db")
    .argument('<model>', 'frozen GraphDef (.pb, .pbtxt), SavedModel folder, or Keras file (.keras, .h5)')
    .requiredOption(
      '--trials <n>',
      'measured candidates for the whole model, spread over its workloads (those already in the database count)',
      positiveInt,
    )
    .requiredOption('--tuning-db <file>', 'the tuning database (JSON lines): created, or continued where an earlier tune stopped');
  addGraphOptions(addModelOptions(cmd))
    .option('--target <target>', 'TVM target (default: llvm for the host CPU)')
    .option('--opt-level <n>', 'TVM optimisation level', (v) => Number(v), 3)
    .option(
      '--disable-opt <names>',
      `tune the build without these optimisations (comma-separated: ${OPTIMIZATIONS.map((x) => x.name).join(', ')})`,
      commaList,
    )
    .option(
      '--threads <n>',
      "threads each candidate is measured on (default: the bridge op's: TF2TVM_NUM_THREADS, else TensorFlow's intra-op pool size)",
      positiveInt,
    )
    .option(
      '--rpc-tracker <host:port>',
      'time candidates on a farm: the TVM RPC tracker its servers (backends/tvm/rpc_server.py) registered with',
      trackerAddress,
    )
    .option('--rpc-key <key>', 'the key the farm servers registered under (with --rpc-tracker)')
    .addOption(tunerOption())
    .option('--cache-dir <dir>', "build cache (remembers each artifact's workloads)", defaultCacheDir())
    .option('--json', 'print one JSON document on stdout')
    .action(async (model: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        if (o.batch && o.shapes) throw errors.usage('give either --batch or --shapes, not both');
        if (Boolean(o.rpcTracker) !== Boolean(o.rpcKey)) throw errors.usage('give --rpc-tracker and --rpc-key together');
        if (o.rpcTracker && o.tuner === 'ansor')
          throw errors.usage('--tuner ansor times candidates on this machine only; tune on a farm with --tuner autotvm');
        const r = await tune({
          model,
          ...modelSelection(o),
          shapes: o.batch ? { batch: o.batch } : (o.shapes ?? []),
          cluster: clusterOptions(o),
          ...(o.target ? { target: o.target } : {}),
          optLevel: o.optLevel,
          disableOpts: disabledOptimizations(o.disableOpt ?? []),
          db: o.tuningDb,
          trials: o.trials,
          tuner: o.tuner,
          threads: o.threads ?? tuningThreads(),
          ...(o.rpcTracker && o.rpcKey ? { rpc: { tracker: o.rpcTracker, key: o.rpcKey } } : {}),
          cacheDir: o.cacheDir ?? defaultCacheDir(),
          warn: printDiagnostic,
          progress: tuneProgressReporter(Boolean(o.json)),
        });
        if (o.json) printJson({ ok: true, ...r });
        else {
          if (process.stderr.isTTY) process.stderr.write('\n');
          process.stdout.write(table(r));
          process.stderr.write(
            `tuned ${r.workloads.length} workload${r.workloads.length === 1 ? '' : 's'} for ${r.isa} on ${r.threads} thread${r.threads === 1 ? '' : 's'} ` +
              `(${r.peak_source === 'measured' ? 'peak measured here' : 'nominal peak'} ${r.peak_gflops.toFixed(0)} GFLOP/s) in ${r.seconds} s -> ${r.db}\n`,
          );
        }
        return 0;
      });
    });
}

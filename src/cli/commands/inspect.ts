// tf2tvm inspect MODEL: a dry run of the clustering (no TVM build). Prints the
// summary, what stays in TensorFlow and why, and with --explain every node
// left out and every edge between two supported nodes that was not merged.

import type { Command } from 'commander';
import { analyzeModel } from '../../pipeline/analyze.js';
import { countsJson, summarize, summaryLine, type ClusteringSummary } from '../../pipeline/analyze.js';
import { REASONS } from '../../../ir/support/reasons.js';
import type { ClusteredState } from '../../../passes/state.js';
import { printJson, runCommand } from '../output.js';
import { addGraphOptions, addModelOptions, clusterOptions, modelSelection, type ClusterFlags, type ModelFlags } from '../options.js';
import { withModel } from '../../model-input.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { renderHtml } from '../../report/html.js';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface Flags extends ClusterFlags, ModelFlags {
  shapes?: string[];
  batch?: number[];
  explain?: boolean;
  json?: boolean;
  html?: string;
}

export interface InspectReport extends ClusteringSummary {
  readonly clusters: readonly { name: string; nodes: readonly string[]; inputs: readonly string[]; outputs: readonly string[] }[];
  readonly unmerged_edges: readonly { from: string; to: string; reason: string }[];
}

function inspectReport(state: ClusteredState): InspectReport {
  const { clusters } = state;
  const summary = summarize(state, new Set(clusters.map((c) => c.name)));
  return {
    ...summary,
    clusters: clusters.map((c) => ({
      name: c.name,
      nodes: c.nodes,
      inputs: c.inputs.map((t) => `${t.node}:${t.index}`),
      outputs: c.outputs.map((t) => `${t.node}:${t.index}`),
    })),
    unmerged_edges: state.unmergedEdges,
  };
}

/** Op -> reason -> count, for what stays in TensorFlow. */
function histogram(r: InspectReport): [string, [string, number][]][] {
  const byOp = new Map<string, Map<string, number>>();
  for (const u of r.unclustered) {
    const m = byOp.get(u.op) ?? new Map<string, number>();
    m.set(u.reason, (m.get(u.reason) ?? 0) + 1);
    byOp.set(u.op, m);
  }
  return [...byOp]
    .map(([op, m]): [string, [string, number][]] => [op, [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))])
    .sort((a, b) => sum(b[1]) - sum(a[1]) || (a[0] < b[0] ? -1 : 1));
}
const sum = (xs: [string, number][]): number => xs.reduce((n, [, c]) => n + c, 0);

/** Write the HTML report atomically: a temp file beside it, then a rename. */
function writeHtml(file: string, model: string, state: ClusteredState, r: InspectReport): void {
  const title = path.join(path.basename(path.dirname(path.resolve(model))), path.basename(model));
  const html = renderHtml(r, state.view, { title });
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw errors.badFlag('--html', `cannot write ${file}: ${(e as Error).message}`);
  }
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('dry run: show the clusters tf2tvm would form and why nodes stay in TensorFlow (no TVM build)')
    .argument('<model>', 'frozen GraphDef (.pb, .pbtxt), SavedModel folder, or Keras file (.keras, .h5)');
  addGraphOptions(addModelOptions(cmd))
    .option('--explain', 'list every node left out and every edge not merged, with the reason')
    .option('--json', 'print one JSON document on stdout')
    .option('--html <file>', 'also write a self-contained HTML picture of the clustering to <file>')
    .action(async (model: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        if (o.batch && o.shapes) throw errors.usage('give either --batch or --shapes, not both');
        const state = await withModel(model, modelSelection(o), (m) =>
          analyzeModel(m.graph, o.batch ? { batch: o.batch } : (o.shapes ?? []), clusterOptions(o), {
            printAfter: [],
            verifyIr: false,
            print: () => undefined,
          }),
        );
        const r = inspectReport(state);
        if (o.html) writeHtml(o.html, model, state, r);
        if (o.json) {
          printJson({
            ok: true,
            nodes: r.nodes,
            clustered_nodes: r.clusteredNodes,
            ...countsJson(r),
            clusters: r.clusters,
            unclustered: r.unclustered,
            unmerged_edges: r.unmerged_edges,
          });
          return 0;
        }
        const w = (s: string): boolean => process.stdout.write(s + '\n');
        w(summaryLine(r, r.clusters.length));
        for (const c of r.clusters) w(`  ${c.name}: ${c.nodes.length} nodes, ${c.inputs.length} inputs, ${c.outputs.length} outputs`);
        const hist = histogram(r);
        if (hist.length) {
          w('left in TensorFlow:');
          for (const [op, reasons] of hist) w(`  ${op.padEnd(24)} ${reasons.map(([why, n]) => `${n} ${why}`).join(', ')}`);
        }
        if (o.explain) {
          w('nodes left in TensorFlow:');
          for (const u of r.unclustered) w(`  ${u.node} (${u.op}): ${u.reason}: ${u.message}`);
          if (r.unmerged_edges.length) {
            w('edges between supported nodes not merged:');
            for (const e of r.unmerged_edges) w(`  ${e.from} -> ${e.to}: ${e.reason} (${REASONS[e.reason as keyof typeof REASONS] ?? ''})`);
          }
        }
        return 0;
      });
    });
}

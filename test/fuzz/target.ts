// What the fuzzer runs on each input, in-process and without Python: the
// GraphDef reader, the validator and content checks, the check against
// TensorFlow's op definitions, and the passes (infer-shapes .. encapsulate,
// with the IR verifier on and every pass's printer run). An input passes when
// this returns or throws a bad-input or usage diagnostic; anything else (an
// internal error, any other exception) is a crash.

import { decodeGraphDef } from '../../ir/tf/graphdef/io.js';
import { checkGraphContents } from '../../ir/tf/graphdef/check.js';
import { validateGraph } from '../../ir/tf/graphdef/validate.js';
import { GraphView } from '../../ir/tf/graph.js';
import { checkOpDefs, type OpRegistry } from '../../ir/tf/op-defs.js';
import { ExitCode, Tf2tvmError } from '../../ir/support/diagnostics.js';
import { PASS_NAMES, runPipeline } from '../../passes/index.js';
import { PassManager } from '../../passes/pass-manager.js';
import { resolveShapeSets } from '../../src/shapes.js';

export type Outcome =
  { readonly kind: 'ok' } | { readonly kind: 'refused'; readonly code: string } | { readonly kind: 'crash'; readonly message: string };

export function runTarget(bytes: Uint8Array, registry: OpRegistry): Outcome {
  try {
    const graph = decodeGraphDef(bytes, 'fuzz.pb');
    validateGraph(graph);
    checkGraphContents(graph);
    checkOpDefs(graph, registry);
    const view = new GraphView(graph);
    // Unknown batch dimensions get 2, so shapes reach the passes.
    const shapeSets = resolveShapeSets(view, { batch: [2] });
    let printed = 0;
    runPipeline(
      {
        graph,
        view,
        shapeSets,
        options: { policy: 'all', minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] },
      },
      new PassManager(PASS_NAMES, { verify: true, printAfter: ['all'], print: (_p, text) => (printed += text.length) }),
    );
    return { kind: 'ok' };
  } catch (e) {
    if (e instanceof Tf2tvmError && (e.exitCode === ExitCode.badInput || e.exitCode === ExitCode.usage)) return { kind: 'refused', code: e.code };
    const message = e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e);
    return { kind: 'crash', message };
  }
}

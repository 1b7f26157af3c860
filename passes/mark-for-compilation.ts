// mark-for-compilation: decides, node by node, whether TVM may take it; every
// refusal carries a stable reason code and a message a user can act on.

import type { Pass } from './pass-manager.js';
import type { Mark, MarkedState, TypedState } from './state.js';
import type { GraphView } from '../ir/tf/graph.js';
import { EXCLUDED } from '../ir/tf/coverage.js';
import { OPS } from '../ir/tf/ops/index.js';
import { globMatcher } from '../ir/support/glob.js';

const CONTROL_FLOW = new Set([
  'Switch',
  'RefSwitch',
  'Merge',
  'RefMerge',
  'Enter',
  'RefEnter',
  'Exit',
  'RefExit',
  'NextIteration',
  'RefNextIteration',
  'LoopCond',
  'ControlTrigger',
  'If',
  'StatelessIf',
  'While',
  'StatelessWhile',
  'Case',
  'StatelessCase',
]);

const STATEFUL_PREFIXES = [
  'Variable',
  'VarHandle',
  'ReadVariable',
  'AssignVariable',
  'Assign',
  'Random',
  'Stateful',
  'Queue',
  'Iterator',
  'Print',
  'Save',
  'Restore',
];
const STATEFUL = new Set([
  'Assert',
  'TruncatedNormal',
  'ParameterizedTruncatedNormal',
  'Multinomial',
  'HashTableV2',
  'LookupTableFindV2',
  'ResourceGather',
]);

function isStateful(op: string): boolean {
  return STATEFUL.has(op) || STATEFUL_PREFIXES.some((p) => op.startsWith(p));
}

/** Nodes inside a TensorFlow v1 loop frame: reachable from an Enter before its Exit. */
function loopFrameNodes(view: GraphView): Set<string> {
  const inFrame = new Set<string>();
  const stack = view.nodes.filter((n) => n.op === 'Enter' || n.op === 'RefEnter').map((n) => n.name);
  while (stack.length) {
    const name = stack.pop()!;
    for (const c of [...view.consumers(name), ...view.controlConsumers(name)]) {
      if (inFrame.has(c.name) || c.op === 'Exit' || c.op === 'RefExit') continue;
      inFrame.add(c.name);
      stack.push(c.name);
    }
  }
  return inFrame;
}

function markAll(state: TypedState): Map<string, Mark> {
  const { view, options, types } = state;
  const frames = loopFrameNodes(view);
  const excludedNode = globMatcher(options.excludeNodes);
  const excludedOps = new Set(options.excludeOps);
  const marks = new Map<string, Mark>();
  const no = (reason: Mark & { ok: false }): Mark => reason;
  for (const n of view.nodes) {
    const def = OPS.get(n.op);
    let m: Mark;
    if (n.op === 'Const') m = no({ ok: false, reason: 'constant', message: 'constants reach clusters as weights' });
    else if (n.op === 'Placeholder' || n.op === 'PlaceholderV2' || n.op === 'PlaceholderWithDefault') {
      m = no({ ok: false, reason: 'graph-input', message: 'graph inputs stay in TensorFlow' });
    } else if (excludedOps.has(n.op)) m = no({ ok: false, reason: 'excluded-op', message: `${n.op} is in --exclude-ops` });
    else if (excludedNode(n.name)) m = no({ ok: false, reason: 'excluded-node', message: 'matched by --exclude-nodes' });
    else if (CONTROL_FLOW.has(n.op)) m = no({ ok: false, reason: 'control-flow', message: `${n.op} is TensorFlow control flow` });
    else if (isStateful(n.op)) m = no({ ok: false, reason: 'stateful', message: `${n.op} is stateful` });
    else if (frames.has(n.name)) m = no({ ok: false, reason: 'in-loop', message: 'inside a while-loop frame' });
    else if (n.device && !/cpu/i.test(n.device)) m = no({ ok: false, reason: 'device', message: `pinned to ${n.device}` });
    else if (EXCLUDED.has(n.op)) m = no({ ok: false, reason: 'needs-vm', message: `${n.op}: ${EXCLUDED.get(n.op)!.why}` });
    else if (!def?.lower) m = no({ ok: false, reason: 'unsupported-op', message: `no lowering for ${n.op}` });
    else
      m = checkTypes(state, n.name, def.constInputs ?? [], types, n.op === 'NoOp') ?? {
        ok: true,
        compute: def.compute ?? false,
        effective: !def.free,
      };
    marks.set(n.name, m);
  }
  return marks;
}

function checkTypes(
  state: TypedState,
  name: string,
  constInputs: readonly number[],
  types: TypedState['types'],
  noOutputs = false,
): Mark | undefined {
  const n = state.view.node(name);
  for (let s = 0; s < types.length; s++) {
    const t = types[s]!;
    const mine = t.get(name)!;
    const where = types.length > 1 ? ` (shape set ${state.shapeSets[s]!.key})` : '';
    if (mine.refusal) return { ok: false, reason: mine.refusal.reason, message: mine.refusal.message + where };
    for (const [i, ref] of n.inputs.entries()) {
      const p = t.get(ref.node);
      if (!p?.outputs[ref.index])
        return { ok: false, reason: 'unknown-shape', message: `input ${ref.node}:${ref.index} has no static shape${where}` };
      if (constInputs.includes(i) && !p.values?.[ref.index]) {
        return { ok: false, reason: 'needs-constant', message: `input ${i} (${ref.node}) must be a compile-time constant${where}` };
      }
    }
    // NoOp has no data outputs: only an op that has some needs them typed.
    if ((mine.outputs.length === 0 && !noOutputs) || mine.outputs.some((o) => !o)) {
      return { ok: false, reason: 'unknown-shape', message: `output shape unknown${where}` };
    }
    // Constant inputs may be empty (an empty axis list, the shape of a scalar): they are attributes, not data.
    const data = n.inputs.filter((ref) => !t.get(ref.node)?.values?.[ref.index]).map((ref) => t.get(ref.node)?.outputs[ref.index]);
    const empty = [...data, ...mine.outputs].find((o) => o?.shape.includes(0));
    if (empty) return { ok: false, reason: 'empty-tensor', message: `a tensor of shape [${empty.shape}] has no elements${where}` };
  }
  return undefined;
}

export const markForCompilationPass: Pass<TypedState, MarkedState> = {
  name: 'mark-for-compilation',
  run: (state) => ({ ...state, marks: markAll(state) }),
  print(state) {
    const lines = state.view.nodes.map((n) => {
      const m = state.marks.get(n.name)!;
      return m.ok ? `  ${n.name} (${n.op}): yes${m.compute ? ', compute' : ''}` : `  ${n.name} (${n.op}): no, ${m.reason}: ${m.message}`;
    });
    return lines.join('\n') + '\n';
  },
};

// The incremental cycle check against brute force on random DAGs: every
// contraction tryContract accepts leaves the graph acyclic, and every one it
// refuses would have created a cycle.

import { makeAttr, makeGraphDef, makeNode } from '../../ir/tf/graphdef/io.js';
import { GraphView } from '../../ir/tf/graph.js';
import { ContractedGraph } from '../../ir/tf/graph-cycles.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function randomDag(seed: number, n: number, p: number): GraphView {
  const r = rng(seed);
  const nodes = Array.from({ length: n }, (_, i) => {
    const input: string[] = [];
    for (let j = Math.max(0, i - 8); j < i; j++) if (r() < p) input.push(`n${j}`);
    if (i > 0 && r() < 0.2) input.push(`^n${Math.floor(r() * i)}`);
    return makeNode({ name: `n${i}`, op: 'AddN', input, attr: { T: makeAttr.type(1) } });
  });
  return new GraphView(makeGraphDef({ node: nodes }));
}

/** Kahn's algorithm on the groups given by `groupOf`. */
function acyclicWith(view: GraphView, groupOf: (name: string) => number): boolean {
  const succ = new Map<number, Set<number>>();
  const indeg = new Map<number, number>();
  for (const n of view.nodes) {
    const g = groupOf(n.name);
    if (!indeg.has(g)) indeg.set(g, 0);
    for (const p of [...n.inputs.map((t) => t.node), ...n.controlInputs]) {
      const h = groupOf(p);
      if (h === g) continue;
      const s = succ.get(h) ?? new Set<number>();
      if (!s.has(g)) {
        s.add(g);
        succ.set(h, s);
        indeg.set(g, (indeg.get(g) ?? 0) + 1);
      }
    }
  }
  const ready = [...indeg].filter(([, d]) => d === 0).map(([g]) => g);
  let seen = 0;
  while (ready.length) {
    const g = ready.pop()!;
    seen++;
    for (const s of succ.get(g) ?? []) {
      indeg.set(s, indeg.get(s)! - 1);
      if (indeg.get(s) === 0) ready.push(s);
    }
  }
  return seen === indeg.size;
}

test.each([1, 2, 3, 4, 5, 6, 7, 8])('random DAG %i: decisions match brute force', (seed) => {
  const view = randomDag(seed, 120, 0.35);
  const g = new ContractedGraph(view);
  const group = view.nodes.map((_, i) => i);
  const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i]!)));
  const r = rng(seed * 7919);
  let accepted = 0;
  let refused = 0;
  for (let k = 0; k < 150; k++) {
    const v = view.nodes[Math.floor(r() * view.nodes.length)]!;
    const t = v.inputs[Math.floor(r() * v.inputs.length)];
    if (!t) continue;
    const a = g.index.get(t.node)!;
    const b = g.index.get(v.name)!;
    // Brute force: would merging the two groups leave the graph acyclic?
    const ga = find(a);
    const gb = find(b);
    const expected = acyclicWith(view, (name) => {
      const x = find(g.index.get(name)!);
      return x === gb ? ga : x;
    });
    const got = g.tryContract(a, b);
    expect(got).toBe(expected);
    if (got) {
      group[gb] = ga;
      accepted++;
    } else refused++;
    expect(g.isAcyclic()).toBe(true);
  }
  expect(accepted).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
  expect(refused + accepted).toBeGreaterThan(50);
});

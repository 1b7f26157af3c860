// The cycle check: a naive merge of the trap graph's supported nodes would
// create a path cluster -> Lgamma -> cluster; form-clusters must refuse it.

import { readGraphDef } from '../../ir/tf/graphdef/io.js';
import { GraphView } from '../../ir/tf/graph.js';
import { ContractedGraph } from '../../passes/form-clusters.js';
import { analyzeModel } from '../../src/pipeline/analyze.js';
import { fixture } from '../helpers.js';

const options = { policy: 'compute' as const, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };
const noPrint = { printAfter: [], verifyIr: true, print: () => undefined };

test('a naive merge around the unsupported middle is cyclic, and tryContract refuses it', async () => {
  const view = new GraphView(await readGraphDef(fixture('trap_diamond')));
  const supported = ['fc1/matmul', 'branch_a/relu', 'join', 'fc2/matmul'];
  const naive = new ContractedGraph(view);
  const idx = (n: string): number => naive.index.get(n)!;
  for (const n of supported.slice(1)) naive.contract(idx(supported[0]!), idx(n));
  expect(naive.isAcyclic()).toBe(false);

  const careful = new ContractedGraph(view);
  expect(careful.tryContract(idx('fc1/matmul'), idx('branch_a/relu'))).toBe(true);
  // fc1/matmul also feeds Lgamma, which feeds join: merging join would close a cycle.
  expect(careful.tryContract(idx('branch_a/relu'), idx('join'))).toBe(false);
  expect(careful.isAcyclic()).toBe(true);
});

test('form-clusters splits the trap into two acyclic clusters and records why', async () => {
  const state = await analyzeModel(fixture('trap_diamond'), [], options, noPrint);
  expect(state.clusters.map((c) => c.nodes)).toEqual([
    ['fc1/w/read', 'fc1/matmul', 'branch_a/relu'],
    ['join', 'fc2/w/read', 'fc2/matmul', 'out'],
  ]);
  expect(state.unmergedEdges).toEqual([{ from: 'branch_a/relu', to: 'join', reason: 'would-form-cycle' }]);
});

test('control edges count as paths: control_deps keeps its clusters acyclic', async () => {
  const state = await analyzeModel(fixture('control_deps'), [], options, noPrint);
  const g = new ContractedGraph(state.view);
  for (const c of state.clusters) for (const m of c.nodes.slice(1)) g.contract(g.index.get(c.nodes[0]!)!, g.index.get(m)!);
  expect(g.isAcyclic()).toBe(true);
  expect(state.unmergedEdges.some((e) => e.reason === 'would-form-cycle')).toBe(true);
});

test('policy all clusters cheap ops too; policy compute drops clusters without a compute op', async () => {
  const compute = await analyzeModel(fixture('while_loop'), [], options, noPrint);
  const all = await analyzeModel(fixture('while_loop'), [], { ...options, policy: 'all' }, noPrint);
  const members = (s: typeof compute): number => s.clusters.reduce((n, c) => n + c.nodes.length, 0);
  expect(members(all)).toBeGreaterThanOrEqual(members(compute));
  for (const c of compute.clusters) expect(c.nodes.some((n) => /matmul/.test(n))).toBe(true);
  // Nodes inside the loop frame never join a cluster.
  expect(compute.marks.get('loop/scaled')).toMatchObject({ ok: false, reason: 'in-loop' });
});

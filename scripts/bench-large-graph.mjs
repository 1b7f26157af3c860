#!/usr/bin/env node
// Compile time and peak memory on a very large graph (prints figures; not a
// test: npm test keeps a 100,000-node chain, test/e2e/deep-chains.test.ts).
// The graph is a placeholder and N cheap nodes (Relu, Neg, Abs cycling), as
// a chain (every node reads the one before: the deepest graph there is) or as
// `--shape ladder` (each node also reads the node two back through AddV2, so
// nodes have two consumers). Default policy: no cluster forms, so the figure
// is tf2tvm's own work (read, checks, passes, rewrite, write), no TVM build.
// `--shape clusters`: MatMul (8x8 constant), Relu, Neg, CheckNumerics
// repeated, so every fourth node ends a cluster (N/4 clusters); timed as
// `tf2tvm inspect` (the passes without building N/4 TVM modules).
//   node scripts/bench-large-graph.mjs [--nodes N] [--shape chain|ladder|clusters] [--keep DIR]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { encodeGraphDef, makeAttr, makeConst, makeGraphDef, makeNode, makeShape } = await import(
  path.join(root, 'dist', 'ir', 'tf', 'graphdef', 'io.js')
);

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const n = Number(flag('--nodes', '1000000'));
const shape = flag('--shape', 'chain');
if (!Number.isInteger(n) || n < 1 || !['chain', 'ladder', 'clusters'].includes(shape)) {
  process.stderr.write('usage: node scripts/bench-large-graph.mjs [--nodes N] [--shape chain|ladder|clusters] [--keep DIR]\n');
  process.exit(2);
}

const T = { T: makeAttr.type(1) };
const nodes = [makeNode({ name: 'x', op: 'Placeholder', attr: { dtype: makeAttr.type(1), shape: makeAttr.shape([1, 8]) } })];
const ops = ['Relu', 'Neg', 'Abs'];
let t0 = Date.now();
const weights = new Float32Array(64).map((_, i) => Math.sin(i + 1));
if (shape === 'clusters') nodes.push(makeConst('w', { dtype: 1, tensor_shape: makeShape([8, 8]), tensor_content: new Uint8Array(weights.buffer) }));
for (let i = 0; i < n; i++) {
  const prev = i === 0 ? 'x' : `n${i - 1}`;
  if (shape === 'clusters' && i % 4 === 0)
    nodes.push(
      makeNode({ name: `n${i}`, op: 'MatMul', input: [prev, 'w'], attr: { ...T, transpose_a: makeAttr.b(false), transpose_b: makeAttr.b(false) } }),
    );
  else if (shape === 'clusters' && i % 4 === 3)
    nodes.push(makeNode({ name: `n${i}`, op: 'CheckNumerics', input: [prev], attr: { ...T, message: makeAttr.s('n') } }));
  else if (shape === 'ladder' && i % 4 === 3)
    nodes.push(makeNode({ name: `n${i}`, op: 'AddV2', input: [prev, i >= 2 ? `n${i - 2}` : 'x'], attr: T }));
  else nodes.push(makeNode({ name: `n${i}`, op: ops[i % 3], input: [prev], attr: T }));
}
const keep = flag('--keep', undefined);
const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-large-'));
mkdirSync(dir, { recursive: true });
const model = path.join(dir, 'model.pb');
writeFileSync(model, encodeGraphDef(makeGraphDef({ node: nodes })));
const made = (Date.now() - t0) / 1000;
const mib = (b) => (b / 2 ** 20).toFixed(1);
process.stdout.write(`graph: ${n + 1} nodes (${shape}), ${mib(statSync(model).size)} MiB, made in ${made.toFixed(1)} s; ${os.cpus().length} cores\n`);

try {
  // GNU time: wall seconds, user and system CPU seconds (on a shared machine
  // the CPU time is the steadier figure) and the peak resident set (KiB) of
  // the compile (node is its only process here: no TVM build runs).
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      'time %e %U %S %M',
      'node',
      path.join(root, 'bin', 'tf2tvm'),
      ...(shape === 'clusters' ? ['inspect', model] : ['compile', model, '-o', path.join(dir, 'out')]),
      '--json',
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  const m = /^time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(r.stderr);
  if (r.status !== 0 || m === null) {
    process.stderr.write(`compile failed (exit ${r.status}):\n${r.stderr.slice(-4000)}\n`);
    process.exitCode = 1;
  } else {
    const doc = JSON.parse(r.stdout);
    process.stdout.write(
      `${shape === 'clusters' ? 'inspect' : 'compile'}: ${m[1]} s (CPU ${(Number(m[2]) + Number(m[3])).toFixed(1)} s), peak RSS ${mib(Number(m[4]) * 1024)} MiB; ${doc.nodes} nodes, ${doc.clustered_nodes} clustered in ${doc.clusters.length} clusters, ` +
        `${doc.unclustered.length} left in TensorFlow with a reason\n`,
    );
  }
} finally {
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}

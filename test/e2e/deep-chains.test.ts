// Graphs as deep as they come: a 100,000-node chain compiles in seconds (no
// recursion set by the graph's depth in the reader, the checks, the passes),
// every node it leaves in TensorFlow with its reason; and a 5,000-node chain of
// cheap ops after a Conv2D is built by TVM as one cluster (its Relay visitors
// run on a big stack) and verifies against TensorFlow.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGraphDef, encodeTensor, makeAttr, makeConst, makeGraphDef, makeNode, type NodeDef } from '../../ir/tf/graphdef/io.js';
import { REASONS } from '../../ir/support/reasons.js';
import { tempDir, tf2tvmJson } from '../helpers.js';

const T = { T: makeAttr.type(1) };
const dir = tempDir();

/** x [1, 8, 8, 4] (-> Conv2D) -> n0 .. n{length-1}, cycling Relu, Neg, Abs. */
function chain(file: string, length: number, conv: boolean): string {
  const nodes: NodeDef[] = [makeNode({ name: 'x', op: 'Placeholder', attr: { dtype: makeAttr.type(1), shape: makeAttr.shape([1, 8, 8, 4]) } })];
  let prev = 'x';
  if (conv) {
    nodes.push(
      makeConst(
        'w',
        encodeTensor(
          1,
          [3, 3, 4, 4],
          Float32Array.from({ length: 144 }, (_, i) => Math.sin(i)),
        ),
      ),
    );
    nodes.push(
      makeNode({ name: 'conv', op: 'Conv2D', input: ['x', 'w'], attr: { ...T, strides: makeAttr.listI([1, 1, 1, 1]), padding: makeAttr.s('SAME') } }),
    );
    prev = 'conv';
  }
  const ops = ['Relu', 'Neg', 'Abs'];
  for (let i = 0; i < length; i++) {
    nodes.push(makeNode({ name: `n${i}`, op: ops[i % 3] as string, input: [prev], attr: T }));
    prev = `n${i}`;
  }
  const p = path.join(dir, file);
  writeFileSync(p, encodeGraphDef(makeGraphDef({ node: nodes })));
  return p;
}

interface Doc {
  ok: boolean;
  nodes: number;
  clustered_nodes: number;
  unclustered: { node: string; reason: string }[];
}

test('a 100,000-node chain compiles in under 30 s, every node left out with its reason', async () => {
  const model = chain('chain100k.pb', 100_000, false);
  const t0 = Date.now();
  const { r, doc } = await tf2tvmJson<Doc>(['compile', model, '-o', path.join(dir, 'out100k'), '--json']);
  const seconds = (Date.now() - t0) / 1000;
  expect(r.exitCode).toBe(0);
  expect(seconds).toBeLessThan(30);
  expect(doc.nodes).toBe(100_001);
  expect(doc.clustered_nodes).toBe(0);
  expect(doc.unclustered).toHaveLength(100_001);
  // Every node, in the graph's order, with a reason of the catalogue.
  expect(doc.unclustered.map((u) => u.node)).toEqual(['x', ...Array.from({ length: 100_000 }, (_, i) => `n${i}`)]);
  expect(doc.unclustered.filter((u) => !Object.hasOwn(REASONS, u.reason))).toEqual([]);
  expect(doc.unclustered[0]?.reason).toBe('graph-input');
});

test('a 5,000-node chain of cheap ops after a Conv2D builds as one cluster and verifies', async () => {
  const model = chain('conv5k.pb', 5000, true);
  const out = path.join(dir, 'out5k');
  const c = await tf2tvmJson<Doc & { built: number; failed: number }>([
    'compile',
    model,
    '-o',
    out,
    '--cache-dir',
    path.join(dir, 'cache'),
    '--json',
  ]);
  expect({ exitCode: c.r.exitCode, built: c.doc.built, failed: c.doc.failed, clustered: c.doc.clustered_nodes }).toEqual({
    exitCode: 0,
    built: 1,
    failed: 0,
    clustered: 5001,
  });
  const v = await tf2tvmJson<{ ok: boolean }>(['verify', model, out, '--json']);
  expect({ exitCode: v.r.exitCode, ok: v.doc.ok }).toEqual({ exitCode: 0, ok: true });
}, 900_000);

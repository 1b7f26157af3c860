// dependencySubgraph: what TensorFlow's shape inference is given.

import {
  makeAttr,
  makeFunctionDef,
  makeFunctionLibrary,
  makeGraphDef,
  makeNode,
  type FunctionDef,
  type NodeDef,
} from '../../../../ir/tf/graphdef/io.js';
import { dependencySubgraph } from '../../../../ir/tf/graphdef/subgraph.js';

const known = new Set(['Placeholder', 'Relu', 'AddV2', 'PartitionedCall', 'NoOp']);
const registered = (op: string): boolean => known.has(op);
const ph = (name: string): NodeDef => makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(1) } });
const op = (name: string, type: string, input: string[]): NodeDef => makeNode({ name, op: type, input });
const fn = (name: string, callee: string): FunctionDef =>
  makeFunctionDef({
    name,
    inputs: [{ name: 'x', type: 1 }],
    outputs: [{ name: 'y', type: 1 }],
    nodes: [op('n', callee, ['x'])],
    ret: { y: 'n:y:0' },
  });

test('keeps the wanted nodes and their data and control ancestors, in order', () => {
  const g = makeGraphDef({
    node: [ph('a'), ph('b'), op('dep', 'NoOp', []), op('s', 'AddV2', ['a', 'b', '^dep']), op('other', 'Relu', ['b']), op('t', 'Relu', ['s'])],
  });
  expect(dependencySubgraph(g, ['t'], registered)?.node.map((n) => n.name)).toEqual(['a', 'b', 'dep', 's', 't']);
});

test('leaves out what depends on an op TensorFlow does not register; null when nothing is left to ask', () => {
  const g = makeGraphDef({ node: [ph('a'), op('c', 'Custom', ['a']), op('r', 'Relu', ['c']), op('s', 'Relu', ['a'])] });
  expect(dependencySubgraph(g, ['r', 's'], registered)?.node.map((n) => n.name)).toEqual(['a', 's']);
  expect(dependencySubgraph(g, ['r'], registered)).toBeNull();
});

test('keeps only the library functions the kept nodes call, transitively', () => {
  const call = makeNode({ name: 'call', op: 'PartitionedCall', input: ['a'], attr: { f: makeAttr.func('f') } });
  const g = makeGraphDef({
    node: [ph('a'), call, op('r', 'Relu', ['call']), op('u', 'unused', ['a'])],
    library: makeFunctionLibrary([fn('f', 'g'), fn('g', 'Relu'), fn('unused', 'unused')]),
  });
  const sub = dependencySubgraph(g, ['r'], registered);
  expect(sub?.library?.function.map((f) => f.signature?.name)).toEqual(['f', 'g']);
  expect(
    dependencySubgraph(makeGraphDef({ node: g.node, library: g.library ?? null }), ['u'], registered)?.library?.function.map(
      (f) => f.signature?.name,
    ),
  ).toEqual(['unused']);
});

test('a 200,000-node chain is walked without recursion', () => {
  const nodes: NodeDef[] = [ph('n0')];
  for (let i = 1; i < 200_000; i++) nodes.push(op(`n${i}`, 'Relu', [`n${i - 1}`]));
  expect(dependencySubgraph(makeGraphDef({ node: nodes }), ['n199999'], registered)?.node.length).toBe(200_000);
});

// Structural validation: input references, dangling inputs, duplicate
// names, cycles (TensorFlow loop back edges excepted).

import { readFileSync } from 'node:fs';
import { errors, Tf2tvmError } from '../../../../ir/support/diagnostics.js';
import { decodeGraphDef, makeGraphDef, makeNode, type NodeDef } from '../../../../ir/tf/graphdef/io.js';
import { graphProblems, parseInputRef, validateGraph } from '../../../../ir/tf/graphdef/validate.js';
import { fixtureModels } from './helpers.js';

function node(name: string, op: string, ...input: string[]): NodeDef {
  return makeNode({ name, op, input });
}

function failure(nodes: NodeDef[]): Tf2tvmError {
  try {
    validateGraph(makeGraphDef({ node: nodes }));
  } catch (e) {
    if (e instanceof Tf2tvmError) return e;
    throw e;
  }
  throw new Error('graph was accepted');
}

describe('parseInputRef', () => {
  test.each([
    ['a', { node: 'a', index: 0, control: false }],
    ['a:0', { node: 'a', index: 0, control: false }],
    ['scope/a:12', { node: 'scope/a', index: 12, control: false }],
    ['^scope/a', { node: 'scope/a', index: -1, control: true }],
    ['a:b', { node: 'a:b', index: 0, control: false }],
    ['a:1:2', { node: 'a:1', index: 2, control: false }],
    [':3', { node: ':3', index: 0, control: false }],
  ])('%s', (s, want) => {
    expect(parseInputRef(s)).toEqual(want);
  });
});

describe('validateGraph', () => {
  test('a valid graph passes', () => {
    expect(() =>
      validateGraph(makeGraphDef({ node: [node('x', 'Placeholder'), node('y', 'Relu', 'x', '^x'), node('z', 'Add', 'x:0', 'y')] })),
    ).not.toThrow();
  });

  test.each(fixtureModels())('fixture %s passes', (_name, path) => {
    expect(graphProblems(decodeGraphDef(readFileSync(path)))).toEqual([]);
  });

  test('dangling data input', () => {
    const e = failure([node('x', 'Placeholder'), node('y', 'Relu', 'missing:1')]);
    expect(e.code).toBe(errors.danglingInput.code);
    expect(e.message).toBe(errors.danglingInput('y', 'missing:1').message);
  });

  test('dangling control input', () => {
    const e = failure([node('x', 'Placeholder'), node('y', 'Relu', 'x', '^missing')]);
    expect(e.code).toBe(errors.danglingInput.code);
    expect(e.message).toContain("'^missing'");
  });

  test('duplicate names', () => {
    const e = failure([node('x', 'Placeholder'), node('y', 'Relu', 'x'), node('x', 'Const')]);
    expect(e.code).toBe(errors.duplicateNode.code);
    expect(e.message).toContain("'x'");
  });

  test('a plain cycle is an error naming its nodes in order', () => {
    const e = failure([
      node('in', 'Placeholder'),
      node('a', 'Add', 'in', 'c'),
      node('b', 'Relu', 'a'),
      node('c', 'Relu', 'b'),
      node('out', 'Identity', 'c'),
    ]);
    expect(e.code).toBe(errors.cycle.code);
    expect(e.message).toBe(errors.cycle(['a', 'b', 'c', 'a']).message);
  });

  test('a cycle through a control dependency is an error', () => {
    const e = failure([node('a', 'NoOp', '^b'), node('b', 'NoOp', '^a')]);
    expect(e.code).toBe(errors.cycle.code);
  });

  test('a self-loop is an error', () => {
    expect(failure([node('a', 'Relu', 'a')]).message).toContain('a -> a');
  });

  test('a Merge <- NextIteration loop is accepted', () => {
    const loop = [
      node('init', 'Const'),
      node('enter', 'Enter', 'init'),
      node('merge', 'Merge', 'enter', 'next'),
      node('limit', 'Const'),
      node('less', 'Less', 'merge', 'limit'),
      node('cond', 'LoopCond', 'less'),
      node('switch', 'Switch', 'merge', 'cond'),
      node('body', 'AddV2', 'switch:1', 'limit'),
      node('next', 'NextIteration', 'body'),
      node('exit', 'Exit', 'switch'),
    ];
    expect(graphProblems(makeGraphDef({ node: loop }))).toEqual([]);
    // The same loop closed by a RefNextIteration into a RefMerge.
    const ref = loop.map((n) =>
      n.op === 'Merge' ? node(n.name, 'RefMerge', ...n.input) : n.op === 'NextIteration' ? node(n.name, 'RefNextIteration', ...n.input) : n,
    );
    expect(graphProblems(makeGraphDef({ node: ref }))).toEqual([]);
    // The same loop with an Identity instead of NextIteration is a real cycle.
    const broken = loop.map((n) => (n.op === 'NextIteration' ? node(n.name, 'Identity', ...n.input) : n));
    expect(failure(broken).code).toBe(errors.cycle.code);
  });

  test('a NextIteration control edge into Merge is not a back edge', () => {
    const e = failure([node('m', 'Merge', 'x', '^n'), node('x', 'Const'), node('n', 'NextIteration', 'm')]);
    expect(e.code).toBe(errors.cycle.code);
  });

  test('graphProblems lists every problem', () => {
    const problems = graphProblems(
      makeGraphDef({ node: [node('a', 'X', 'b'), node('b', 'X', 'a'), node('a', 'X'), node('c', 'X', 'nope', '^gone')] }),
    );
    expect(problems.map((p) => p.code)).toEqual([errors.duplicateNode.code, errors.danglingInput.code, errors.danglingInput.code, errors.cycle.code]);
  });

  test('a 200k-node chain and a 100k-node cycle are handled without recursion', () => {
    const n = 200_000;
    const chain = Array.from({ length: n }, (_, i) => (i === 0 ? node('n0', 'Const') : node(`n${i}`, 'Relu', `n${i - 1}`)));
    expect(graphProblems(makeGraphDef({ node: chain }))).toEqual([]);
    const m = 100_000;
    const ring = Array.from({ length: m }, (_, i) => node(`r${i}`, 'Relu', `r${(i + m - 1) % m}`));
    const e = failure(ring);
    expect(e.code).toBe(errors.cycle.code);
    expect(e.message.split(' -> ').length).toBe(m + 1);
  });
});

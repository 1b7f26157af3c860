// The comparison table (ir/tf/ops/comparison.ts): comparisons and logical ops
// with bool results and broadcasting, Select's vector condition, SelectV2's
// broadcasting, the float tests, and folds of constant comparisons.

import { comparisonOps } from '../../../../ir/tf/ops/comparison.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build } from './contract.js';

const binary = (g: G, op: string, a: number[], b: number[], dt: number = DT.float, dtB = dt): string =>
  g.op('y', op, [g.ph('a', a, dt), g.ph('b', b, dtB)], { T: attr.type(dt) });

test.each(['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual'])('%s broadcasts to a bool result', (op) => {
  const g = new G();
  binary(g, op, [2, 3], [3], DT.int32);
  const a = g.analyze();
  expect(a.types('y').outputs[0]).toEqual({ dtype: 'bool', shape: [2, 3] });
  expect(a.instrs('y')[0]?.op.kind).toBe('compare');
});

test('comparisons of constants fold', () => {
  const g = new G();
  g.op('y', 'Less', [g.const('a', [3], [1, 5, 2], DT.int32), g.const('b', [], [2], DT.int32)], { T: attr.type(DT.int32) });
  expect(values(g.analyze().value('y'))).toEqual([1, 0, 0]);
});

test('Select reshapes a vector condition over the first dimension; SelectV2 broadcasts', () => {
  const g = new G();
  g.op('s', 'Select', [g.ph('c', [2], DT.bool), g.ph('x', [2, 3]), g.ph('y', [2, 3])]);
  g.op('s2', 'SelectV2', [g.ph('c2', [3], DT.bool), g.ph('x2', [2, 3]), g.ph('y2', [])]);
  const a = g.analyze();
  expect(a.kinds('s')).toEqual(['reshape', 'select']);
  expect(a.instrs('s')[0]?.type.shape).toEqual([2, 1]);
  expect(a.shape('s2')).toEqual([2, 3]);
});

test('IsNan, IsInf, IsFinite give bool', () => {
  const g = new G();
  g.op('y', 'IsNan', [g.ph('x', [4])]);
  expect(g.analyze().types('y').outputs[0]).toEqual({ dtype: 'bool', shape: [4] });
});

const compareRefusals = (op: string): Record<string, Build> => ({
  'operands of different dtypes': (g) => binary(g, op, [2], [2], DT.float, DT.double),
  'shapes that do not broadcast': (g) => binary(g, op, [2, 3], [4]),
});
const selectRefusals = (v2: boolean): Record<string, Build> => ({
  'a condition that is not bool': (g) => g.op('s', v2 ? 'SelectV2' : 'Select', [g.ph('c', [2], DT.int32), g.ph('x', [2]), g.ph('y', [2])]),
  'branches of different dtypes': (g) => g.op('s', v2 ? 'SelectV2' : 'Select', [g.ph('c', [2], DT.bool), g.ph('x', [2]), g.ph('y', [2], DT.double)]),
  ...(v2
    ? { 'shapes that do not broadcast': (g: G) => g.op('s', 'SelectV2', [g.ph('c', [3], DT.bool), g.ph('x', [2]), g.ph('y', [2])]) }
    : {
        'a condition neither of the data shape nor a vector over its first dimension': (g: G) =>
          g.op('s', 'Select', [g.ph('c', [3], DT.bool), g.ph('x', [2, 3]), g.ph('y', [2, 3])]),
      }),
});

refusalContract(comparisonOps, {
  ...Object.fromEntries(['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual'].map((op) => [op, compareRefusals(op)])),
  LogicalAnd: { 'shapes that do not broadcast': (g) => binary(g, 'LogicalAnd', [2, 3], [4], DT.bool) },
  LogicalOr: { 'shapes that do not broadcast': (g) => binary(g, 'LogicalOr', [2, 3], [4], DT.bool) },
  Select: selectRefusals(false),
  SelectV2: selectRefusals(true),
});

const withDt = (op: string) => (g: G, dt: number) => binary(g, op, [2, 3], [3], dt);
const unary = (op: string) => (g: G, dt: number) => g.op('y', op, [g.ph('x', [2, 3], dt)], { T: attr.type(dt) });
const select = (op: string) => (g: G, dt: number) =>
  g.op('s', op, [g.ph('c', [2, 3], DT.bool), g.ph('x', [2, 3], dt), g.ph('y', [2, 3], dt)], { T: attr.type(dt) });
dtypeContract(comparisonOps, {
  ...Object.fromEntries(
    ['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr'].map((op) => [op, withDt(op)]),
  ),
  LogicalNot: unary('LogicalNot'),
  IsNan: unary('IsNan'),
  IsInf: unary('IsInf'),
  IsFinite: unary('IsFinite'),
  Select: select('Select'),
  SelectV2: select('SelectV2'),
});

// The source table (ir/tf/ops/source.ts): Const folds to its value and never
// joins a cluster; Identity and its kin pass types and constants through and
// lower to no code.

import { encodeTensor } from '../../../../ir/tf/graphdef/io.js';
import { sourceOps } from '../../../../ir/tf/ops/source.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

test('Const folds to its value and stays in TensorFlow as a weight source', () => {
  const g = new G();
  g.const('c', [2, 2], [1, 2, 3, 4], DT.int32);
  const a = g.analyze();
  expect(a.types('c').outputs[0]).toEqual({ dtype: 'int32', shape: [2, 2] });
  expect(values(a.value('c'))).toEqual([1, 2, 3, 4]);
  expect(a.mark('c')).toMatchObject({ ok: false, reason: 'constant' });
});

test.each(['Identity', 'StopGradient', 'PreventGradient', 'Snapshot'])(
  '%s passes its input through: no code, not effective, constants kept',
  (op) => {
    const g = new G();
    g.op('i', op, [g.ph('x', [2, 3])]);
    g.op('r', 'Relu', ['i']);
    g.op('ic', op, [g.const('c', [2], [5, 6], DT.int32)], { T: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.shape('i')).toEqual([2, 3]);
    expect(a.mark('i')).toMatchObject({ ok: true, effective: false });
    expect(a.instrs('i')).toEqual([]);
    expect(values(a.value('ic'))).toEqual([5, 6]);
  },
);

test('IdentityN passes every input through', () => {
  const g = new G();
  g.op('n', 'IdentityN', [g.ph('x', [2]), g.ph('y', [3, 4], DT.int32)], { T: attr.listType([DT.float, DT.int32]) });
  const a = g.analyze();
  expect(a.types('n').outputs).toEqual([
    { dtype: 'float32', shape: [2] },
    { dtype: 'int32', shape: [3, 4] },
  ]);
});

refusalContract(sourceOps, {
  Const: {
    'a constant of a dtype the IR lacks (left untyped, so its readers stay in TensorFlow too)': (g) =>
      g.op('s', 'Const', [], { dtype: attr.type(7), value: attr.tensor(encodeTensor(7, [], ['text'])) }),
  },
});
const identity =
  (op: string) =>
  (g: G, dt: number): string =>
    g.op('i', op, [g.ph('x', [2, 3], dt)], { T: attr.type(dt) });
dtypeContract(sourceOps, {
  Identity: identity('Identity'),
  StopGradient: identity('StopGradient'),
  PreventGradient: identity('PreventGradient'),
  Snapshot: identity('Snapshot'),
  IdentityN: (g, dt) => g.op('i', 'IdentityN', [g.ph('x', [2, 3], dt)], { T: attr.listType([dt]) }),
});

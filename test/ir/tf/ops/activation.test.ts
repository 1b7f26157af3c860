// The activation table (ir/tf/ops/activation.ts): unary functions keep the
// type of their input; Relu6 is a clip, LeakyRelu keeps its alpha explicit.

import { activationOps } from '../../../../ir/tf/ops/activation.js';
import { OPS } from '../../../../ir/tf/ops/index.js';
import { cpuDataDtypes } from '../../../../ir/tf/kernels.js';
import { DTYPES } from '../../../../ir/types.js';
import { attr, DT, G } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

const unary = (g: G, op: string, dt: number = DT.float, extra = {}): string =>
  g.op('y', op, [g.ph('x', [2, 3, 4], dt)], { T: attr.type(dt), ...extra });

test.each(Object.keys(activationOps).filter((op) => op !== 'Relu6' && op !== 'LeakyRelu'))('%s keeps the type and lowers to one unary', (op) => {
  const g = new G();
  unary(g, op);
  const a = g.analyze();
  expect(a.shape('y')).toEqual([2, 3, 4]);
  expect(a.types('y').outputs[0]?.dtype).toBe('float32');
  // Rint and Round are one function: round half to even.
  expect(a.kinds('y')).toEqual([`unary.${op === 'Rint' ? 'round' : op.toLowerCase()}`]);
});

test('Relu6 is clip(0, 6); LeakyRelu keeps alpha, 0.2 by default', () => {
  const g = new G();
  const x = g.ph('x', [5]);
  g.op('r6', 'Relu6', [x]);
  g.op('lr', 'LeakyRelu', [x]);
  g.op('lr1', 'LeakyRelu', [x], { alpha: attr.f(0.5) });
  const a = g.analyze();
  expect(a.instrs('r6').map((i) => i.op)).toEqual([{ kind: 'clip', args: [expect.any(Number)], min: 0, max: 6 }]);
  expect(a.instrs('lr')[0]?.op).toMatchObject({ kind: 'leaky_relu', alpha: 0.2 });
  expect(a.instrs('lr1')[0]?.op).toMatchObject({ kind: 'leaky_relu', alpha: 0.5 });
});

dtypeContract(activationOps, Object.fromEntries(Object.keys(activationOps).map((op) => [op, (g: G, dt: number) => unary(g, op, dt)])));
refusalContract(activationOps, {});

describe('activations and elementwise ops take exactly the dtypes of their TensorFlow CPU kernels', () => {
  const ops = [...OPS].filter(([, d]) => d.lower && (d.category === 'activation' || d.category === 'elementwise'));
  test.each(ops.map(([op, def]) => [op, def] as const))('%s', (op, def) => {
    const kernel = cpuDataDtypes(op).filter((d) => (DTYPES as readonly string[]).includes(d));
    const refused = new Set((def.dtypeRefusals ?? []).flatMap((r) => r.dtypes));
    const lowered = def.dtypes ?? DTYPES;
    expect({ op, lowered: [...lowered].sort() }).toEqual({ op, lowered: kernel.filter((d) => !refused.has(d)).sort() });
  });
});

// Attributes a node cannot be read with are bad input: a missing attribute,
// one of another kind, an integer beyond 2^53 each exit 1 with their own code
// naming the node and the attribute, and write nothing. A constant input
// beyond 2^53 (a padding, an axis) is no attribute: its node is refused and
// stays in TensorFlow, like any other value outside an op's constraints.

import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGraphDef, makeAttr, makeGraphDef, makeNode, type AttrValue } from '../../ir/tf/graphdef/io.js';
import { attr, DT, G } from '../ir/helpers.js';
import { tempDir, tf2tvmJson } from '../helpers.js';

const dir = tempDir();

/** x [1,8,8,2] and a filter [3,3,2,4] into one Conv2D with the given attributes. */
function conv(file: string, attrs: Record<string, AttrValue>): string {
  const ph = (name: string, shape: number[]) =>
    makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(DT.float), shape: makeAttr.shape(shape) } });
  const g = makeGraphDef({
    node: [
      ph('x', [1, 8, 8, 2]),
      ph('f', [3, 3, 2, 4]),
      makeNode({ name: 'conv', op: 'Conv2D', input: ['x', 'f'], attr: { T: makeAttr.type(DT.float), ...attrs } }),
    ],
  });
  const p = path.join(dir, file);
  writeFileSync(p, encodeGraphDef(g));
  return p;
}

const cases: [string, Record<string, AttrValue>, string, string][] = [
  ['a missing attribute', { strides: makeAttr.listI([1, 1, 1, 1]) }, 'TF2TVM1017', "node 'conv' (Conv2D) has no attribute 'padding'"],
  [
    'an attribute of another kind',
    { strides: makeAttr.listI([1, 1, 1, 1]), padding: makeAttr.i(1) },
    'TF2TVM1018',
    "node 'conv' (Conv2D): attribute 'padding' must be a string (s), but is an int (i)",
  ],
  [
    'an integer attribute beyond 2^53',
    { strides: makeAttr.listI([1, 2n ** 60n, 1, 1]), padding: makeAttr.s('SAME') },
    'TF2TVM1019',
    `node 'conv' (Conv2D): attribute 'strides' holds ${2n ** 60n}, beyond the integers tf2tvm reads exactly (2^53)`,
  ],
];

describe('compile and inspect refuse unreadable attributes', () => {
  test.each(cases)('%s', async (name, attrs, code, message) => {
    const model = conv(`${code}.pb`, attrs);
    for (const cmd of ['compile', 'inspect']) {
      const out = path.join(dir, `out-${code}`);
      const { r, doc } = await tf2tvmJson<{ ok: boolean; error: { code: string; message: string } }>(
        cmd === 'compile' ? [cmd, model, '-o', out] : [cmd, model],
      );
      expect({ cmd, name, exitCode: r.exitCode, doc }).toEqual({ cmd, name, exitCode: 1, doc: { ok: false, error: { code, message } } });
      expect(r.stderr.trim().split('\n')).toEqual([`error ${code}: ${message}`]);
      expect(existsSync(out)).toBe(false);
    }
  });
});

test('a constant input beyond 2^53 refuses its node, which stays in TensorFlow', () => {
  const g = new G();
  const x = g.ph('x', [2, 3]);
  g.op('pad', 'Pad', [x, g.const('p', [2, 2], [2 ** 60, 0, 0, 0], DT.int64)], { Tpaddings: attr.type(DT.int64) });
  g.op('y', 'Relu', ['pad']);
  const a = g.analyze();
  expect(a.mark('pad')).toMatchObject({
    ok: false,
    reason: 'unsupported-variant',
    message: `the constant ${2n ** 60n} is beyond the integers tf2tvm reads exactly (2^53)`,
  });
  expect(a.clustered('pad')).toBe(false);
});

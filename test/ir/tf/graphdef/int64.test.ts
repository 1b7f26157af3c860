// The int64 policy: int64 fields are long.js Longs, never lossy numbers; the
// conversion helpers are exact or refuse; extremes survive a write and a read.

import {
  DataType,
  baseDtype,
  bigIntToInt64,
  decodeGraphDef,
  dtypeName,
  encodeGraphDef,
  int64ToBigInt,
  int64ToNumber,
  isKnownDtype,
  makeAttr,
  makeGraphDef,
  makeNode,
  makeShape,
  shapeDims,
  shapeDimsNumber,
} from '../../../../ir/tf/graphdef/io.js';
import { root } from '../../../../ir/tf/graphdef/schema.js';

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

describe('int64 helpers', () => {
  test.each([0n, 1n, -1n, 42n, (1n << 32n) - 1n, 1n << 32n, -(1n << 32n), (1n << 53n) + 1n, -(1n << 53n) - 1n, I64_MAX, I64_MIN])(
    'signed %s survives bigint -> Int64 -> bigint',
    (v) => {
      const l = bigIntToInt64(v);
      expect(l.unsigned).toBe(false);
      expect(int64ToBigInt(l)).toBe(v);
    },
  );

  test.each([0n, (1n << 63n) + 1n, U64_MAX])('unsigned %s survives', (v) => {
    expect(int64ToBigInt(bigIntToInt64(v, true))).toBe(v);
  });

  test('the Int64 is a real long.js Long with the expected halves', () => {
    const l = bigIntToInt64(I64_MIN);
    expect((l as unknown as Record<string, unknown>).__isLong__).toBe(true);
    expect([l.low, l.high]).toEqual([0, -2147483648]);
    expect(l.toString()).toBe(I64_MIN.toString());
  });

  test('out of range values are refused', () => {
    expect(() => bigIntToInt64(I64_MAX + 1n)).toThrow(RangeError);
    expect(() => bigIntToInt64(I64_MIN - 1n)).toThrow(RangeError);
    expect(() => bigIntToInt64(-1n, true)).toThrow(RangeError);
    expect(() => bigIntToInt64(U64_MAX + 1n, true)).toThrow(RangeError);
    expect(() => bigIntToInt64(2 ** 60)).toThrow(RangeError);
    expect(() => bigIntToInt64(1.5)).toThrow(RangeError);
  });

  test('int64ToNumber converts only exact values', () => {
    expect(int64ToNumber(bigIntToInt64(-(2n ** 53n) + 1n))).toBe(-(2 ** 53) + 1);
    expect(() => int64ToNumber(bigIntToInt64(2n ** 53n))).toThrow(RangeError);
    expect(() => int64ToBigInt(2 ** 60)).toThrow(RangeError);
    expect(int64ToBigInt(12)).toBe(12n);
  });

  test('decoded int64 fields are Longs, never lossy numbers', () => {
    const g = makeGraphDef({ node: [makeNode({ name: 'a', op: 'A', attr: { n: makeAttr.i(I64_MAX) } })] });
    const i = decodeGraphDef(encodeGraphDef(g)).node[0]?.attr.n?.i;
    expect(typeof i).toBe('object');
    expect(int64ToBigInt(i ?? 0)).toBe(I64_MAX);
  });
});

describe('int64 extremes survive a write and a read', () => {
  test.each([
    ['i = 2^63-1', I64_MAX],
    ['i = -2^63', I64_MIN],
    ['i = 2^53+1', (1n << 53n) + 1n],
    ['i = -1', -1n],
  ])('attr %s', (_name, v) => {
    const g = makeGraphDef({ node: [makeNode({ name: 'a', op: 'A', attr: { v: makeAttr.i(v), l: makeAttr.listI([v, v]) } })] });
    const back = decodeGraphDef(encodeGraphDef(g)).node[0];
    expect(int64ToBigInt(back?.attr.v?.i ?? 0)).toBe(v);
    expect(back?.attr.l?.list?.i.map(int64ToBigInt)).toEqual([v, v]);
  });

  test('shape dims beyond 2^53', () => {
    const dims = [(1n << 53n) + 1n, I64_MAX, -1n, 0n];
    const g = makeGraphDef({ node: [makeNode({ name: 'a', op: 'A', attr: { s: makeAttr.shape(dims) } })] });
    const s = decodeGraphDef(encodeGraphDef(g)).node[0]?.attr.s?.shape;
    expect(shapeDims(s)).toEqual(dims);
    expect(() => shapeDimsNumber(s)).toThrow(RangeError);
  });
});

describe('shapes', () => {
  test('shapeDimsNumber', () => {
    expect(shapeDimsNumber(makeShape([-1, 3, 0]))).toEqual([-1, 3, 0]);
    expect(shapeDimsNumber(makeShape(null))).toBeNull();
    expect(shapeDimsNumber(null)).toBeNull();
    expect(shapeDims(makeShape([]))).toEqual([]);
  });

  test('makeShape refuses dims below -1', () => {
    expect(() => makeShape([-2])).toThrow(RangeError);
  });
});

describe('DataType', () => {
  test('the const object matches the schema enum exactly', () => {
    const e = root.lookupEnum('tensorflow.DataType');
    expect(DataType).toEqual(e.values);
  });

  test('every non-ref type has its _REF twin at +100', () => {
    for (const [name, n] of Object.entries(DataType)) {
      if (n === 0 || name.endsWith('_REF')) continue;
      expect(dtypeName(n + 100)).toBe(`${name}_REF`);
      expect(baseDtype(n + 100)).toBe(n);
    }
  });

  test('dtypeName', () => {
    expect(dtypeName(1)).toBe('DT_FLOAT');
    expect(dtypeName(119)).toBe('DT_HALF_REF');
    expect(dtypeName(77)).toBe('DT_UNKNOWN_77');
    expect(isKnownDtype(23)).toBe(true);
    expect(isKnownDtype(77)).toBe(false);
  });
});

// TensorProto decoding against what TensorFlow itself reads (vectors/tensors.pb),
// malformed tensors refused, and encodeTensor.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataType,
  bfloat16ToFloat,
  decodeGraphDef,
  decodeTensor,
  encodeGraphDef,
  encodeTensor,
  halfToFloat,
  makeConst,
  makeGraphDef,
  makeShape,
  type TensorData,
  type TensorProto,
} from '../../../../ir/tf/graphdef/io.js';
import { VECTORS } from './helpers.js';

interface Expectation {
  dtype: number;
  shape: number[];
  values: (number | string)[];
}

const vectors = JSON.parse(readFileSync(join(VECTORS, 'tensors.json'), 'utf8')) as {
  tensors: Record<string, Expectation>;
};
const graph = decodeGraphDef(readFileSync(join(VECTORS, 'tensors.pb')));

function constValue(name: string): TensorProto {
  const t = graph.node.find((n) => n.name === name)?.attr.value?.tensor;
  if (!t) throw new Error(`no Const ${name}`);
  return t;
}

/** decodeTensor's data in the JSON form the Python generator used. */
function asJson(dtype: number, data: TensorData): (number | string)[] {
  if (Array.isArray(data)) return data.map((b) => Buffer.from(b).toString('hex'));
  if (dtype === DataType.DT_INT64 || dtype === DataType.DT_UINT64) {
    return Array.from(data as BigInt64Array | BigUint64Array, (v) => v.toString());
  }
  return Array.from(data as ArrayLike<number>);
}

describe('decodeTensor reads what TensorFlow reads (vectors/tensors.pb)', () => {
  const names = Object.keys(vectors.tensors).sort();

  test('there are vectors for every representation', () => {
    expect(names.length).toBeGreaterThanOrEqual(35);
    expect(graph.node.length).toBe(names.length);
  });

  test.each(names)('%s', (name) => {
    const want = vectors.tensors[name] as Expectation;
    const got = decodeTensor(constValue(name));
    expect(got.dtype).toBe(want.dtype);
    expect(got.shape).toEqual(want.shape);
    expect(asJson(got.dtype, got.data)).toEqual(want.values);
  });

  test('typed arrays match the dtype', () => {
    expect(decodeTensor(constValue('f32_content')).data).toBeInstanceOf(Float32Array);
    expect(decodeTensor(constValue('f64_val')).data).toBeInstanceOf(Float64Array);
    expect(decodeTensor(constValue('i8_content')).data).toBeInstanceOf(Int8Array);
    expect(decodeTensor(constValue('u16_content')).data).toBeInstanceOf(Uint16Array);
    expect(decodeTensor(constValue('i64_val')).data).toBeInstanceOf(BigInt64Array);
    expect(decodeTensor(constValue('u64_val')).data).toBeInstanceOf(BigUint64Array);
    expect(decodeTensor(constValue('f16_val')).data).toBeInstanceOf(Uint16Array);
  });

  test('decoded data does not alias the graph bytes', () => {
    const t = constValue('f32_content');
    const before = Buffer.from(t.tensor_content).toString('hex');
    (decodeTensor(t).data as Float32Array).fill(9);
    expect(Buffer.from(t.tensor_content).toString('hex')).toBe(before);
  });
});

describe('decodeTensor rejects malformed tensors', () => {
  test('tensor_content of the wrong size', () => {
    const t = encodeTensor(DataType.DT_FLOAT, [2], new Float32Array([1, 2]));
    t.tensor_content = t.tensor_content.subarray(0, 7);
    expect(() => decodeTensor(t)).toThrow(/7 bytes, expected 8/);
  });

  test('more values than elements', () => {
    const t = encodeTensor(DataType.DT_INT32, [2], new Int32Array([1, 2]), { form: 'values' });
    t.int_val.push(3);
    expect(() => decodeTensor(t)).toThrow(/3 values for 2 elements/);
  });

  test('unknown dimensions', () => {
    const t = encodeTensor(DataType.DT_FLOAT, [1], new Float32Array([1]));
    t.tensor_shape = makeShape([-1]);
    expect(() => decodeTensor(t)).toThrow(/unknown dimension/);
  });

  test('dtypes tf2tvm does not read', () => {
    const t = constValue('f32_scalar');
    const r = { ...t, dtype: DataType.DT_RESOURCE } as TensorProto;
    expect(() => decodeTensor(r)).toThrow(/DT_RESOURCE/);
  });
});

describe('encodeTensor', () => {
  const cases: [string, number, number[], TensorData][] = [
    ['float', DataType.DT_FLOAT, [2, 2], new Float32Array([1.5, -0, Infinity, 3])],
    ['double', DataType.DT_DOUBLE, [3], new Float64Array([1e-300, 2, 3])],
    ['int32', DataType.DT_INT32, [2], new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ['int16', DataType.DT_INT16, [2], new Int16Array([-32768, 5])],
    ['int8', DataType.DT_INT8, [2], new Int8Array([-128, 127])],
    ['uint8', DataType.DT_UINT8, [2], new Uint8Array([0, 255])],
    ['uint16', DataType.DT_UINT16, [1], new Uint16Array([65535])],
    ['uint32', DataType.DT_UINT32, [1], new Uint32Array([2 ** 32 - 1])],
    ['int64', DataType.DT_INT64, [3], new BigInt64Array([-(1n << 63n), (1n << 63n) - 1n, (1n << 53n) + 1n])],
    ['uint64', DataType.DT_UINT64, [1], new BigUint64Array([(1n << 64n) - 1n])],
    ['bool', DataType.DT_BOOL, [3], new Uint8Array([1, 0, 1])],
    ['half', DataType.DT_HALF, [2], new Uint16Array([0x3c00, 0xfbff])],
    ['bfloat16', DataType.DT_BFLOAT16, [2], new Uint16Array([0x3f80, 0x7f80])],
    ['complex64', DataType.DT_COMPLEX64, [2], new Float32Array([1, 2, 3, 4])],
    ['complex128', DataType.DT_COMPLEX128, [1], new Float64Array([1, -1])],
    ['float8', DataType.DT_FLOAT8_E4M3FN, [2], new Uint8Array([0x38, 0x40])],
    ['scalar', DataType.DT_FLOAT, [], new Float32Array([7])],
    ['empty', DataType.DT_FLOAT, [0, 4], new Float32Array(0)],
  ];

  for (const form of ['content', 'values'] as const) {
    test.each(cases)(`%s (${form}) survives encode -> graph bytes -> decode`, (_name, dtype, shape, data) => {
      const g = makeGraphDef({ node: [makeConst('c', encodeTensor(dtype, shape, data, { form }))] });
      const t = decodeGraphDef(encodeGraphDef(g)).node[0]?.attr.value?.tensor;
      if (!t) throw new Error('tensor lost');
      const hasContent = t.tensor_content.length > 0;
      expect(hasContent).toBe(form === 'content' && data.length > 0);
      const back = decodeTensor(t);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(back.data).toEqual(data);
    });
  }

  test('strings', () => {
    const t = encodeTensor(DataType.DT_STRING, [3], ['a', new Uint8Array([0xff]), '']);
    const back = decodeTensor(decodeGraphDef(encodeGraphDef(makeGraphDef({ node: [makeConst('s', t)] }))).node[0]!.attr.value!.tensor!);
    expect(back.shape).toEqual([3]);
    expect((back.data as Uint8Array[]).map((b) => Buffer.from(b).toString('hex'))).toEqual(['61', 'ff', '']);
  });

  test('the float tensor_content is the little-endian float32 bytes', () => {
    const t = encodeTensor(DataType.DT_FLOAT, [1], new Float32Array([1]));
    expect(Buffer.from(t.tensor_content).toString('hex')).toBe('0000803f');
  });

  test('a wrong element count or array type is refused', () => {
    expect(() => encodeTensor(DataType.DT_FLOAT, [3], new Float32Array(2))).toThrow(RangeError);
    expect(() => encodeTensor(DataType.DT_FLOAT, [2], new Float64Array(2))).toThrow(TypeError);
    expect(() => encodeTensor(DataType.DT_FLOAT, [-1], new Float32Array(1))).toThrow(RangeError);
  });
});

describe('half and bfloat16 bit patterns', () => {
  test('halfToFloat', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]);
    const f = Array.from(halfToFloat(bits));
    expect(f.slice(0, 7)).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity]);
    expect(Number.isNaN(f[7])).toBe(true);
    expect(f[8]).toBeCloseTo(1 / 3, 3);
  });

  test('bfloat16ToFloat', () => {
    expect(Array.from(bfloat16ToFloat(new Uint16Array([0x3f80, 0xc000, 0x4049])))).toEqual([1, -2, new Float32Array([3.140625])[0]]);
  });

  test('the TensorFlow-written half constants decode to the float values TensorFlow wrote', () => {
    const f = halfToFloat(decodeTensor(constValue('f16_content')).data as Uint16Array);
    expect(Array.from(f)).toEqual([1, -2, 65504, 2 ** -24]);
  });
});

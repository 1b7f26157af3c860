// Attributes and every other field of the GraphDef schema: the vector
// TensorFlow wrote with every field set decodes to its values, and every
// AttrValue kind built with makeAttr round-trips.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataType,
  attrKind,
  decodeGraphDef,
  decodeTensor,
  encodeGraphDef,
  encodeTensor,
  int64ToBigInt,
  makeAttr,
  makeGraphDef,
  makeNameAttrList,
  makeNode,
  shapeDims,
  type AttrValue,
  type GraphDef,
  type NodeDef,
} from '../../../../ir/tf/graphdef/io.js';
import { VECTORS } from './helpers.js';

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;
const BIG_DIM = (1n << 53n) + 3n;

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

function nodeNamed(g: GraphDef, name: string): NodeDef {
  const n = g.node.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no node ${name}`);
  return n;
}

function attrOf(n: NodeDef, key: string): AttrValue {
  const a = n.attr[key];
  if (a === undefined) throw new Error(`no attr ${key}`);
  return a;
}

describe('every field TensorFlow wrote decodes to its value (vectors/all_fields.pb)', () => {
  const g = decodeGraphDef(readFileSync(join(VECTORS, 'all_fields.pb')));
  const soup = nodeNamed(g, 'scope/every_attr');
  const a = (k: string) => attrOf(soup, k);

  test('GraphDef and VersionDef fields', () => {
    expect(g.version).toBe(21);
    expect(g.versions?.producer).toBe(1994);
    expect(g.versions?.min_consumer).toBe(12);
    expect(g.versions?.bad_consumers).toEqual([3, 5]);
    expect(g.node.map((n) => n.name)).toEqual(['x', 'scope/every_attr', 'c>inner']);
  });

  test('NodeDef fields', () => {
    expect(nodeNamed(g, 'x').device).toBe('/device:CPU:0');
    expect(soup.input).toEqual(['x', 'x:0', '^x']);
    expect(soup.experimental_debug_info?.original_node_names).toEqual(['orig/a', 'orig/b']);
    expect(soup.experimental_debug_info?.original_func_names).toEqual(['orig_fn']);
    const ft = soup.experimental_type;
    expect(ft?.type_id).toBe(3); // TFT_PRODUCT
    expect(ft?.args.map((x) => x.type_id)).toEqual([1000, 1003, 1]);
    expect(ft?.args[0]?.args[0]?.type_id).toBe(210);
    expect(int64ToBigInt(ft?.args[1]?.i ?? 0)).toBe(I64_MIN);
    expect(ft?.args[2]?.s).toBe('T');
    expect(ft?.args[2]?.i).toBeUndefined();
  });

  test('scalar attr kinds', () => {
    expect(hex(a('s').s)).toBe(Buffer.from('\x00\xffnot utf-8', 'latin1').toString('hex'));
    expect(int64ToBigInt(a('i_max').i ?? 0)).toBe(I64_MAX);
    expect(int64ToBigInt(a('i_min').i ?? 0)).toBe(I64_MIN);
    expect(attrKind(a('i_zero'))).toBe('i');
    expect(int64ToBigInt(a('i_zero').i ?? 1)).toBe(0n);
    expect(Object.is(a('f').f, -0)).toBe(true);
    expect(a('f_inf').f).toBe(-Infinity);
    expect(a('f_tiny').f).toBe(new Float32Array([1e-45])[0]);
    expect(a('b_true').b).toBe(true);
    expect(attrKind(a('b_false'))).toBe('b');
    expect(a('b_false').b).toBe(false);
    expect(a('type').type).toBe(DataType.DT_HALF);
    expect(a('type_ref').type).toBe(DataType.DT_INT64_REF);
    expect(attrKind(a('type_invalid'))).toBe('type');
    expect(a('placeholder').placeholder).toBe('T');
    expect(attrKind(a('placeholder'))).toBe('placeholder');
  });

  test('shape attrs, with a dimension beyond 2^53', () => {
    expect(shapeDims(a('shape').shape)).toEqual([-1n, BIG_DIM, 0n, 3n]);
    expect(a('shape').shape?.dim.map((d) => d.name)).toEqual(['', 'big', '', 'c']);
    expect(shapeDims(a('shape_unknown').shape)).toBeNull();
    expect(attrKind(a('shape_scalar'))).toBe('shape');
    expect(shapeDims(a('shape_scalar').shape)).toEqual([]);
  });

  test('tensor attr with every TensorProto field', () => {
    const t = a('tensor').tensor;
    if (!t) throw new Error('no tensor');
    expect(t.dtype).toBe(DataType.DT_FLOAT);
    expect(shapeDims(t.tensor_shape)).toEqual([2n, BIG_DIM]);
    expect(t.tensor_shape?.dim[0]?.name).toBe('batch');
    expect(t.version_number).toBe(7);
    expect(hex(t.tensor_content)).toBe('00010203');
    expect(t.half_val).toEqual([0x3c00, 0xfbff]);
    expect(t.float_val).toEqual([1.5, -0, Infinity]);
    expect(t.double_val).toEqual([1e300, -2.5]);
    expect(t.int_val).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(t.string_val.map(hex)).toEqual(['fffe', '', Buffer.from('café').toString('hex')]);
    expect(t.scomplex_val).toEqual([1, -1]);
    expect(t.int64_val.map(int64ToBigInt)).toEqual([I64_MAX, I64_MIN, -1n]);
    expect(t.bool_val).toEqual([true, false]);
    expect(t.dcomplex_val).toEqual([3, 4]);
    const h = t.resource_handle_val[0];
    expect(h?.device).toBe('/job:localhost/replica:0/task:0/device:CPU:0');
    expect([h?.container, h?.name, h?.maybe_type_name]).toEqual(['c', 'v', 'N10tensorflow3VarE']);
    expect(int64ToBigInt(h?.hash_code ?? 0)).toBe(U64_MAX);
    expect(h?.dtypes_and_shapes[0]?.dtype).toBe(DataType.DT_INT64);
    expect(shapeDims(h?.dtypes_and_shapes[0]?.shape)).toEqual([-1n, 3n]);
    const v = t.variant_val[0];
    expect(v?.type_name).toBe('tensorflow::TensorList');
    expect(hex(v?.metadata)).toBe(Buffer.from('\x00\x80meta', 'latin1').toString('hex'));
    expect(v?.tensors[0]?.int_val).toEqual([5]);
    expect(t.uint32_val).toEqual([0, 2 ** 32 - 1]);
    expect(t.uint64_val.map(int64ToBigInt)).toEqual([0n, U64_MAX]);
    expect(hex(t.float8_val)).toBe('3c40');
  });

  test('func attr and lists of every element kind', () => {
    const f = a('func').func;
    expect(f?.name).toBe('my_func');
    expect(f?.attr.T?.type).toBe(DataType.DT_FLOAT);
    expect(int64ToBigInt(f?.attr.n?.i ?? 0)).toBe(-3n);

    expect(attrKind(a('empty_list'))).toBe('list');
    const l = a('list').list;
    if (!l) throw new Error('no list');
    expect(l.s.map(hex)).toEqual(['61', '', 'ff']);
    expect(l.i.map(int64ToBigInt)).toEqual([I64_MAX, I64_MIN, 0n, -1n, (1n << 53n) + 1n]);
    expect(l.f).toEqual([0.5, -0, Infinity]);
    expect(l.b).toEqual([true, false, true]);
    expect(l.type).toEqual([DataType.DT_FLOAT, DataType.DT_STRING_REF, DataType.DT_UINT64]);
    expect(l.shape.map(shapeDims)).toEqual([[1n, -1n], null, []]);
    const t0 = decodeTensor(l.tensor[0]!);
    expect(t0.shape).toEqual([2, 3]);
    expect(Array.from(t0.data as BigInt64Array)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(Array.from(decodeTensor(l.tensor[1]!).data as BigInt64Array)).toEqual([I64_MIN]);
    expect(l.func.map((x) => x.name)).toEqual(['f1', 'f2']);
    expect(hex(l.func[0]?.attr.x?.s)).toBe('79');
  });

  test('function library', () => {
    const lib = g.library;
    const f = lib?.function[0];
    const sig = f?.signature;
    expect(sig?.name).toBe('my_func');
    const arg = sig?.input_arg[0];
    expect([arg?.name, arg?.description, arg?.type, arg?.is_ref]).toEqual(['a', 'an input', DataType.DT_RESOURCE, true]);
    expect(arg?.handle_data[0]?.dtype).toBe(DataType.DT_FLOAT);
    expect(shapeDims(arg?.handle_data[0]?.shape)).toEqual([2n, 2n]);
    expect(arg?.experimental_full_type?.type_id).toBe(3);
    const b = sig?.input_arg[1];
    expect([b?.type_attr, b?.number_attr]).toEqual(['T', 'N']);
    expect(sig?.output_arg[0]?.type_list_attr).toBe('Tout');
    expect(sig?.control_output).toEqual(['side_effect']);
    const ad = sig?.attr[0];
    expect([ad?.name, ad?.type, ad?.description, ad?.has_minimum]).toEqual(['T', 'type', 'element type', true]);
    expect(ad?.default_value?.type).toBe(DataType.DT_FLOAT);
    expect(int64ToBigInt(ad?.minimum ?? 0)).toBe(I64_MIN);
    expect(ad?.allowed_values?.list?.type).toEqual([DataType.DT_FLOAT, DataType.DT_DOUBLE]);
    expect([sig?.deprecation?.version, sig?.deprecation?.explanation]).toEqual([9, 'use other_func']);
    expect([sig?.summary, sig?.description]).toEqual(['summary', 'description']);
    expect([sig?.is_commutative, sig?.is_aggregate, sig?.is_stateful, sig?.allows_uninitialized_input, sig?.is_distributed_communication]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(f?.attr._noinline?.b).toBe(true);
    expect(f?.arg_attr.map((e) => e.key).sort()).toEqual([0, 1, 3]);
    expect(hex(f?.arg_attr.find((e) => e.key === 3)?.value?.attr._user_specified_name?.s)).toBe(Buffer.from('arg3').toString('hex'));
    // Sorted: the wire order is whatever TensorFlow's serializer chose.
    expect(f?.resource_arg_unique_id.map((e) => [e.key, e.value]).sort()).toEqual([
      [0, 1],
      [2, 7],
    ]);
    expect(f?.node_def[0]?.input).toEqual(['a', 'b:output:0']);
    expect(f?.node_def[0]?.attr.T?.placeholder).toBe('T');
    expect(f?.ret).toEqual({ out: 'mul:z:0' });
    expect(f?.control_ret).toEqual({ side_effect: 'mul' });
    expect(lib?.gradient[0]).toMatchObject({ function_name: 'my_func', gradient_func: 'my_func_grad' });
    expect(lib?.registered_gradients[0]).toMatchObject({ gradient_func: 'grad_fn', registered_op_type: 'MyOp' });
  });

  test('debug info, with 64-bit map keys', () => {
    const d = g.debug_info;
    expect(d?.files).toEqual(['model.py', 'layers.py']);
    const frames = new Map(d?.frames_by_id.map((e) => [int64ToBigInt(e.key), e.value]));
    expect([...frames.keys()].sort((x, y) => (x < y ? -1 : 1))).toEqual([5n, U64_MAX]);
    const top = frames.get(U64_MAX);
    expect([top?.file_index, top?.line, top?.col, top?.func, top?.code]).toEqual([0, 12, 0, 'call', 'y = f(x)']);
    // proto2 presence: the explicit zeros are own properties, so they are written back.
    expect(Object.prototype.hasOwnProperty.call(top, 'file_index')).toBe(true);
    expect(frames.get(5n)?.line).toBe(7);
    const trace = d?.traces_by_id[0];
    expect(int64ToBigInt(trace?.key ?? 0)).toBe((1n << 63n) + 1n);
    expect(trace?.value?.frame_id.map(int64ToBigInt)).toEqual([U64_MAX, 5n]);
    expect(d?.traces[0]?.key).toBe('scope/every_attr');
    expect(d?.traces[0]?.value?.file_line_cols[0]).toMatchObject({ file_index: 1, line: 3 });
    const ids = new Map(d?.name_to_trace_id.map((e) => [e.key, int64ToBigInt(e.value ?? 0)]));
    expect(ids.get('scope/every_attr')).toBe((1n << 63n) + 1n);
    expect(ids.get('x')).toBe(0n);
  });
});

describe('every AttrValue kind built with makeAttr round-trips', () => {
  const t = encodeTensor(DataType.DT_INT64, [2], new BigInt64Array([I64_MIN, I64_MAX]));
  const cases: [string, AttrValue, (a: AttrValue) => void][] = [
    ['s', makeAttr.s('héllo'), (a) => expect(Buffer.from(a.s ?? []).toString()).toBe('héllo')],
    ['s bytes', makeAttr.s(new Uint8Array([0, 255])), (a) => expect(hex(a.s)).toBe('00ff')],
    ['i max', makeAttr.i(I64_MAX), (a) => expect(int64ToBigInt(a.i ?? 0)).toBe(I64_MAX)],
    ['i min', makeAttr.i(I64_MIN), (a) => expect(int64ToBigInt(a.i ?? 0)).toBe(I64_MIN)],
    ['i 0', makeAttr.i(0), (a) => expect(int64ToBigInt(a.i ?? 1)).toBe(0n)],
    ['f', makeAttr.f(0.25), (a) => expect(a.f).toBe(0.25)],
    ['f 0', makeAttr.f(0), (a) => expect(a.f).toBe(0)],
    ['b true', makeAttr.b(true), (a) => expect(a.b).toBe(true)],
    ['b false', makeAttr.b(false), (a) => expect(a.b).toBe(false)],
    ['type', makeAttr.type(DataType.DT_BFLOAT16), (a) => expect(a.type).toBe(DataType.DT_BFLOAT16)],
    ['type invalid (0)', makeAttr.type(DataType.DT_INVALID), (a) => expect(a.type).toBe(0)],
    ['shape', makeAttr.shape([-1, BIG_DIM, 0, null]), (a) => expect(shapeDims(a.shape)).toEqual([-1n, BIG_DIM, 0n, -1n])],
    ['shape scalar', makeAttr.shape([]), (a) => expect(shapeDims(a.shape)).toEqual([])],
    ['shape unknown rank', makeAttr.shape(null), (a) => expect(shapeDims(a.shape)).toBeNull()],
    ['tensor', makeAttr.tensor(t), (a) => expect(Array.from(decodeTensor(a.tensor!).data as BigInt64Array)).toEqual([I64_MIN, I64_MAX])],
    [
      'func',
      makeAttr.func('fn', { T: makeAttr.type(DataType.DT_FLOAT) }),
      (a) => {
        expect(a.func?.name).toBe('fn');
        expect(a.func?.attr.T?.type).toBe(DataType.DT_FLOAT);
      },
    ],
    ['placeholder', makeAttr.placeholder('T'), (a) => expect(a.placeholder).toBe('T')],
    ['empty list', makeAttr.emptyList(), (a) => expect(a.list?.type).toEqual([])],
    ['list s', makeAttr.listS(['a', '', 'ü']), (a) => expect(a.list?.s.map((x) => Buffer.from(x).toString())).toEqual(['a', '', 'ü'])],
    ['list i', makeAttr.listI([I64_MIN, -1, 0, I64_MAX]), (a) => expect(a.list?.i.map(int64ToBigInt)).toEqual([I64_MIN, -1n, 0n, I64_MAX])],
    ['list f', makeAttr.listF([1.5, -2]), (a) => expect(a.list?.f).toEqual([1.5, -2])],
    ['list b', makeAttr.listB([false, true]), (a) => expect(a.list?.b).toEqual([false, true])],
    [
      'list type',
      makeAttr.listType([DataType.DT_FLOAT, DataType.DT_INT32_REF]),
      (a) => expect(a.list?.type).toEqual([DataType.DT_FLOAT, DataType.DT_INT32_REF]),
    ],
    [
      'list shape',
      makeAttr.listShape([[1, 2], null, [], [BIG_DIM]]),
      (a) => expect(a.list?.shape.map(shapeDims)).toEqual([[1n, 2n], null, [], [BIG_DIM]]),
    ],
    ['list tensor', makeAttr.listTensor([t, t]), (a) => expect(a.list?.tensor.length).toBe(2)],
    [
      'list func',
      makeAttr.listFunc([makeNameAttrList('a'), makeNameAttrList('b', { x: makeAttr.b(true) })]),
      (a) => {
        expect(a.list?.func.map((f) => f.name)).toEqual(['a', 'b']);
        expect(a.list?.func[1]?.attr.x?.b).toBe(true);
      },
    ],
  ];

  test.each(cases)('%s', (_name, attr, check) => {
    const kind = attrKind(attr);
    expect(kind).toBeDefined();
    const g = makeGraphDef({ node: [makeNode({ name: 'n', op: 'Op', attr: { a: attr } })] });
    const back = decodeGraphDef(encodeGraphDef(g)).node[0]?.attr.a;
    if (back === undefined) throw new Error('attr lost');
    expect(attrKind(back)).toBe(kind);
    check(back);
    // Unset kinds read as undefined, not as defaults.
    const others = (['s', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'placeholder', 'func', 'list'] as const).filter((k) => k !== kind);
    for (const k of others) expect(back[k]).toBeUndefined();
  });
});

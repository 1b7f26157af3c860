// Byte-exact round trips: graphs TensorFlow wrote decode and encode to the
// same bytes; graphs built with our builders encode as TensorFlow would.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataType,
  bigIntToInt64,
  decodeGraphDef,
  encodeGraphDef,
  encodeTensor,
  makeAttr,
  makeConst,
  makeGraphDef,
  makeNode,
  makeVersionDef,
  type GraphDef,
} from '../../../../ir/tf/graphdef/io.js';
import { Tf2tvmError } from '../../../../ir/support/diagnostics.js';
import { fixtureModels, VECTORS } from './helpers.js';

function roundTrip(bytes: Uint8Array): { first: GraphDef; encoded: Uint8Array; second: GraphDef } {
  const first = decodeGraphDef(bytes);
  const encoded = encodeGraphDef(first);
  return { first, encoded, second: decodeGraphDef(encoded) };
}

describe('graphs TensorFlow wrote', () => {
  const fixtures = fixtureModels();

  test('the fixture models exist', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  const files: [string, string][] = [
    ...fixtures,
    ['vectors/all_fields (deterministic)', join(VECTORS, 'all_fields.pb')],
    ['vectors/all_fields (map order as TensorFlow left it)', join(VECTORS, 'all_fields_nondet.pb')],
    ['vectors/tensors', join(VECTORS, 'tensors.pb')],
  ];

  test.each(files)('%s: decode -> encode gives the same bytes', (_name, path) => {
    const bytes = readFileSync(path);
    const { encoded } = roundTrip(bytes);
    expect(Buffer.from(encoded).equals(bytes)).toBe(true);
  });

  test.each(files)('%s: decode -> encode -> decode gives an equal message', (_name, path) => {
    const { first, second } = roundTrip(readFileSync(path));
    expect(second).toStrictEqual(first);
  });

  test('the two all_fields vectors really differ in map order, so both orders are covered', () => {
    const a = readFileSync(join(VECTORS, 'all_fields.pb'));
    const b = readFileSync(join(VECTORS, 'all_fields_nondet.pb'));
    expect(a.equals(b)).toBe(false);
    // Same message apart from map order: string-keyed maps compare equal as
    // objects; the integer-keyed ones are wire-order lists and differ.
    const ga = decodeGraphDef(a);
    const gb = decodeGraphDef(b);
    expect(gb.node).toEqual(ga.node);
    const ids = (g: GraphDef) => g.library?.function[0]?.resource_arg_unique_id.map((e) => [e.key, e.value]);
    expect(ids(gb)).not.toEqual(ids(ga));
    expect(ids(gb)?.sort()).toEqual(ids(ga)?.sort());
  });

  test('a change to the decoded graph shows in the encoding', () => {
    const bytes = readFileSync(join(VECTORS, 'all_fields.pb'));
    const g = decodeGraphDef(bytes);
    const node = g.node[0];
    if (node === undefined) throw new Error('no node');
    node.name = 'renamed';
    const encoded = Buffer.from(encodeGraphDef(g));
    expect(encoded.equals(bytes)).toBe(false);
    expect(decodeGraphDef(encoded).node[0]?.name).toBe('renamed');
  });
});

describe('graphs built with our builders', () => {
  function sampleGraph(): GraphDef {
    const w = encodeTensor(DataType.DT_FLOAT, [2, 2], new Float32Array([1, 2, 3, 4]));
    return makeGraphDef({
      versions: makeVersionDef(1994),
      node: [
        makeNode({
          name: 'x',
          op: 'Placeholder',
          attr: { dtype: makeAttr.type(DataType.DT_FLOAT), shape: makeAttr.shape([-1, 2]) },
        }),
        makeConst('w', w),
        makeNode({
          name: 'mm',
          op: 'MatMul',
          input: ['x', 'w:0', '^w'],
          device: '/device:CPU:0',
          attr: { T: makeAttr.type(DataType.DT_FLOAT), transpose_a: makeAttr.b(false) },
        }),
        makeNode({
          name: 'tvm/cluster_0',
          op: 'TF2TVMBridgeOp',
          input: ['mm'],
          attr: {
            Tin: makeAttr.listType([DataType.DT_FLOAT]),
            Tout: makeAttr.listType([DataType.DT_FLOAT, DataType.DT_INT64]),
            cluster: makeAttr.s('cluster_0'),
            artifacts: makeAttr.listS(['a/b.so']),
            input_shapes: makeAttr.listShape([[1n, 2n]]),
            output_shapes: makeAttr.listShape([[1, 2], null]),
          },
        }),
      ],
    });
  }

  test('encode -> decode keeps every field', () => {
    const g = decodeGraphDef(encodeGraphDef(sampleGraph()));
    expect(g.versions?.producer).toBe(1994);
    expect(g.node.map((n) => n.name)).toEqual(['x', 'w', 'mm', 'tvm/cluster_0']);
    const mm = g.node[2];
    expect(mm?.input).toEqual(['x', 'w:0', '^w']);
    expect(mm?.device).toBe('/device:CPU:0');
    expect(mm?.attr.transpose_a?.b).toBe(false);
    const bridge = g.node[3];
    expect(bridge?.attr.Tout?.list?.type).toEqual([DataType.DT_FLOAT, DataType.DT_INT64]);
    expect(Buffer.from(bridge?.attr.artifacts?.list?.s[0] ?? []).toString()).toBe('a/b.so');
    expect(bridge?.attr.output_shapes?.list?.shape[1]?.unknown_rank).toBe(true);
    expect(g.node[1]?.attr.value?.tensor?.tensor_content.length).toBe(16);
  });

  test('encode -> decode -> encode is stable and decode(encode(g)) equals g', () => {
    const built = sampleGraph();
    const once = encodeGraphDef(built);
    const decoded = decodeGraphDef(once);
    expect(Buffer.from(encodeGraphDef(decoded)).equals(Buffer.from(once))).toBe(true);
    expect(decoded).toEqual(built);
  });

  test('builders omit proto3 defaults, as TensorFlow does', () => {
    // A node with only name and op is exactly fields 1 and 2.
    const g = makeGraphDef({ node: [makeNode({ name: 'a', op: 'NoOp', device: '' })] });
    expect(Buffer.from(encodeGraphDef(g)).toString('hex')).toBe('0a' + '09' + '0a0161' + '12044e6f4f70');
  });

  test('encodeGraphDef refuses a bigint where an Int64 belongs instead of writing 0', () => {
    const g = sampleGraph();
    const attr = makeAttr.i(5n) as unknown as Record<string, unknown>;
    attr.i = 5n;
    g.node[0]!.attr.bad = attr;
    expect(() => encodeGraphDef(g)).toThrow(Tf2tvmError);
  });

  test('int64 values built with bigIntToInt64 encode like TensorFlow (10-byte varint for -1)', () => {
    const g = makeGraphDef({ node: [makeNode({ name: 'a', op: 'A', attr: { n: makeAttr.i(-1n) } })] });
    const hex = Buffer.from(encodeGraphDef(g)).toString('hex');
    // attr entry: key "n", value AttrValue{ i: -1 } = 18 ffffffffffffffffff01
    expect(hex).toContain('18ffffffffffffffffff01');
    expect(bigIntToInt64(-1n)).toMatchObject({ low: -1, high: -1, unsigned: false });
  });
});

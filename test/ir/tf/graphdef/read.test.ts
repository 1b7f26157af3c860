// Reading a model file: a good GraphDef, and every kind of bad path or bad
// bytes refused with its own diagnostic code, by the async and sync readers.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, Tf2tvmError } from '../../../../ir/support/diagnostics.js';
import {
  decodeGraphDef,
  encodeGraphDef,
  makeAttr,
  makeGraphDef,
  makeNode,
  readGraphDef,
  readGraphDefSync,
  writeGraphDef,
} from '../../../../ir/tf/graphdef/io.js';
import { randomBytes, tempDir, VECTORS } from './helpers.js';

const readers: [string, (p: string) => Promise<unknown>][] = [
  ['readGraphDef', (p) => readGraphDef(p)],
  ['readGraphDefSync', async (p) => readGraphDefSync(p)],
];

async function failure(read: (p: string) => Promise<unknown>, path: string): Promise<Tf2tvmError> {
  try {
    await read(path);
  } catch (e) {
    if (e instanceof Tf2tvmError) return e;
    throw new Error(`expected a Tf2tvmError, got ${String(e)}`);
  }
  throw new Error(`reading ${path} succeeded`);
}

function decodeFailure(bytes: Uint8Array): Tf2tvmError {
  try {
    decodeGraphDef(bytes, 'input.pb');
  } catch (e) {
    if (e instanceof Tf2tvmError) return e;
    throw new Error(`expected a Tf2tvmError, got ${String(e)}`);
  }
  throw new Error(`decoding ${Buffer.from(bytes.subarray(0, 16)).toString('hex')}... succeeded`);
}

const dir = tempDir();
const good = readFileSync(join(VECTORS, 'all_fields.pb'));

describe.each(readers)('%s', (_name, read) => {
  test('reads a good file', async () => {
    const path = join(dir, 'good.pb');
    writeFileSync(path, good);
    const g = (await read(path)) as { node: { name: string }[] };
    expect(g.node.map((n) => n.name)).toEqual(['x', 'scope/every_attr', 'c>inner']);
  });

  test('missing file', async () => {
    const e = await failure(read, join(dir, 'nope.pb'));
    expect(e.code).toBe(errors.fileNotFound.code);
    expect(e.message).toContain('nope.pb');
  });

  test('missing folder on the way', async () => {
    const e = await failure(read, join(dir, 'good.pb', 'x.pb'));
    expect(e.code).toBe(errors.fileNotFound.code);
  });

  test('empty file', async () => {
    const path = join(dir, 'empty.pb');
    writeFileSync(path, new Uint8Array(0));
    expect((await failure(read, path)).code).toBe(errors.fileEmpty.code);
  });

  test.each([1, 2, 3, 4, 5])('random bytes, seed %i', async (seed) => {
    const path = join(dir, `random${seed}.pb`);
    writeFileSync(path, randomBytes(seed, 64 * seed * seed));
    const e = await failure(read, path);
    expect(e.code).toBe(errors.notAGraphDef.code);
    expect(e.message).toMatch(/not a binary TensorFlow GraphDef: .*random\d\.pb \(.+\)/);
  });

  test('truncated GraphDef', async () => {
    const path = join(dir, 'truncated.pb');
    writeFileSync(path, good.subarray(0, good.length - 10));
    const e = await failure(read, path);
    expect(e.code).toBe(errors.notAGraphDef.code);
    expect(e.message).toMatch(/runs past the end/);
  });

  test('SavedModel folder (binary)', async () => {
    const sm = join(dir, 'saved_model_bin');
    mkdirSync(join(sm, 'variables'), { recursive: true });
    writeFileSync(join(sm, 'saved_model.pb'), new Uint8Array([8, 1]));
    expect((await failure(read, sm)).code).toBe(errors.savedModelDir.code);
  });

  test('SavedModel folder (text)', async () => {
    const sm = join(dir, 'saved_model_txt');
    mkdirSync(sm, { recursive: true });
    writeFileSync(join(sm, 'saved_model.pbtxt'), 'saved_model_schema_version: 1\n');
    expect((await failure(read, sm)).code).toBe(errors.savedModelDir.code);
  });

  test('plain folder', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain, { recursive: true });
    writeFileSync(join(plain, 'model.pb'), good);
    const e = await failure(read, plain);
    expect(e.code).toBe(errors.isDirectory.code);
  });

  test('a SavedModel file passed directly', async () => {
    const sm = join(dir, 'direct');
    mkdirSync(sm, { recursive: true });
    const path = join(sm, 'saved_model.pb');
    writeFileSync(path, new Uint8Array([0x08, 0x01, 0x12, 0x00]));
    const e = await failure(read, path);
    expect(e.code).toBe(errors.notAGraphDef.code);
    expect(e.message).toMatch(/SavedModel/);
  });

  test('a text-format GraphDef', async () => {
    const path = join(dir, 'model.pbtxt');
    writeFileSync(path, 'node {\n  name: "x"\n  op: "Placeholder"\n}\n');
    const e = await failure(read, path);
    expect(e.code).toBe(errors.notAGraphDef.code);
    expect(e.message).toMatch(/text-format/);
  });
});

describe('decodeGraphDef rejects what is not a GraphDef', () => {
  test('random bytes never decode, and always fail as notAGraphDef', () => {
    const sizes = [1, 2, 3, 5, 8, 13, 64, 512, 4096];
    for (let seed = 1; seed <= 300; seed++) {
      for (const n of sizes) {
        expect(decodeFailure(randomBytes(seed * 7919 + n, n)).code).toBe(errors.notAGraphDef.code);
      }
    }
  });

  test('random bytes behind a valid start still fail', () => {
    // A real GraphDef's first node followed by junk.
    for (let seed = 1; seed <= 50; seed++) {
      const junk = randomBytes(seed, 200);
      const bytes = Buffer.concat([good.subarray(0, 40), junk]);
      expect(decodeFailure(bytes).code).toBe(errors.notAGraphDef.code);
    }
  });

  test('every cut that is not between two top-level fields is rejected', () => {
    // Top-level field boundaries: cutting there leaves a shorter but valid
    // message, which no parser can tell from a whole one.
    const boundaries = new Set<number>([0]);
    let pos = 0;
    while (pos < good.length) {
      const tag = good[pos++] as number; // fields 1..5: one-byte tags
      let len = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = good[pos++] as number;
        len += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      if ((tag & 7) === 2) pos += len; // else it was the varint value itself
      boundaries.add(pos);
    }
    expect(pos).toBe(good.length);
    let rejected = 0;
    for (let cut = 1; cut < good.length; cut++) {
      if (boundaries.has(cut)) continue;
      expect(decodeFailure(good.subarray(0, cut)).code).toBe(errors.notAGraphDef.code);
      rejected++;
    }
    expect(rejected).toBeGreaterThan(good.length - 20);
  });

  test('protobuf with no nodes', () => {
    // GraphDef{ version: 5 }: valid wire data, no graph.
    const e = decodeFailure(new Uint8Array([0x18, 0x05]));
    expect(e.message).toMatch(/holds no nodes/);
  });

  test('a field our schema does not know is refused, not dropped', () => {
    const g = encodeGraphDef(makeGraphDef({ node: [makeNode({ name: 'a', op: 'NoOp' })] }));
    const withUnknown = Buffer.concat([g, Buffer.from([0x48, 0x01])]); // field 9, varint
    expect(decodeFailure(withUnknown).message).toMatch(/field 9 of tensorflow\.GraphDef is not in tf2tvm's schema/);
    // The same inside a NodeDef: node {name: "a", op: "NoOp", field 8 = 1}
    const nested = Buffer.from([0x0a, 0x0b, 0x0a, 0x01, 0x61, 0x12, 0x04, 0x4e, 0x6f, 0x4f, 0x70, 0x40, 0x01]);
    expect(decodeFailure(nested).message).toMatch(/field 8 of tensorflow\.NodeDef/);
  });

  test('a wrong wire type is refused instead of misread', () => {
    // node given as a varint
    expect(decodeFailure(new Uint8Array([0x08, 0x05])).message).toMatch(/tensorflow\.GraphDef\.node has wire type varint/);
  });

  test('a 6- to 9-byte varint in a 32-bit field, which protobufjs would misread, is refused', () => {
    const node = Buffer.from([0x0a, 0x09, 0x0a, 0x01, 0x61, 0x12, 0x04, 0x4e, 0x6f, 0x4f, 0x70]);
    // version = 5 spelled with 7 bytes
    const bytes = Buffer.concat([node, Buffer.from([0x18, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])]);
    expect(decodeFailure(bytes).message).toMatch(/GraphDef\.version has a 7-byte varint/);
    // The canonical 1-byte and the 10-byte (negative int32) forms are fine.
    expect(decodeGraphDef(Buffer.concat([node, Buffer.from([0x18, 0x05])])).version).toBe(5);
    const minusOne = Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(decodeGraphDef(Buffer.concat([node, minusOne])).version).toBe(-1);
  });

  test('an attr map entry without its value, which protobufjs would store as null, is refused', () => {
    // node { name: "a" op: "NoOp" attr { key: "T" } }
    const bytes = Buffer.from([0x0a, 0x0e, 0x0a, 0x01, 0x61, 0x12, 0x04, 0x4e, 0x6f, 0x4f, 0x70, 0x2a, 0x03, 0x0a, 0x01, 0x54]);
    expect(decodeFailure(bytes).message).toMatch(/an entry of tensorflow\.NodeDef\.attr has no value/);
  });

  test('invalid UTF-8 in a string field', () => {
    const bytes = Buffer.from([0x0a, 0x08, 0x0a, 0x01, 0xff, 0x12, 0x03, 0x41, 0x62, 0x63]);
    expect(decodeFailure(bytes).message).toMatch(/NodeDef\.name is not valid UTF-8/);
  });

  test.each([
    ['no name', makeNode({ name: '', op: 'NoOp' }), /node 0 has no name/],
    ['no op', makeNode({ name: 'a', op: '' }), /has no op/],
    ['bad name', makeNode({ name: 'a b', op: 'NoOp' }), /invalid name "a b"/],
    ['name starting with a slash', makeNode({ name: '/a', op: 'NoOp' }), /invalid name "\/a"/],
    ['bad input', makeNode({ name: 'a', op: 'NoOp', input: ['x:y:z'] }), /invalid input "x:y:z"/],
    ['control char in device', makeNode({ name: 'a', op: 'NoOp', device: 'cpu\u0001' }), /invalid device/],
  ])('implausible node: %s', (_name, node, message) => {
    const bytes = encodeGraphDef(makeGraphDef({ node: [node] }));
    expect(decodeFailure(bytes).message).toMatch(message);
  });

  test('names TensorFlow allows are accepted', () => {
    const node = makeNode({ name: 'a/b_c.d-e>f.0', op: '__inference_f_12', input: ['x:12', '^y.z', 'w', '_arg_0'] });
    const g = decodeGraphDef(encodeGraphDef(makeGraphDef({ node: [node] })));
    expect(g.node[0]?.name).toBe('a/b_c.d-e>f.0');
  });
});

test('writeGraphDef writes what readGraphDef reads', async () => {
  const path = join(dir, 'written.pb');
  await writeGraphDef(path, decodeGraphDef(good));
  expect(readFileSync(path).equals(good)).toBe(true);
});

describe('damaged real graphs', () => {
  const files = ['all_fields.pb', 'tensors.pb'].map((f) => readFileSync(join(VECTORS, f)));

  test('flipping bytes gives notAGraphDef or a graph that round-trips; nothing else', () => {
    let decoded = 0;
    let rejected = 0;
    files.forEach((good, fileIndex) => {
      for (let seed = 1; seed <= 250; seed++) {
        const r = randomBytes(seed * 13 + fileIndex, 8);
        const b = Buffer.from(good);
        for (let j = 0; j < 1 + ((r[0] as number) % 3); j++) {
          const pos = (((r[1 + 2 * j] as number) << 8) | (r[2 + 2 * j] as number)) % b.length;
          b[pos] = r[7 - j] as number;
        }
        let g;
        try {
          g = decodeGraphDef(b);
        } catch (e) {
          expect(e).toBeInstanceOf(Tf2tvmError);
          expect((e as Tf2tvmError).code).toBe(errors.notAGraphDef.code);
          rejected++;
          continue;
        }
        decoded++;
        expect(decodeGraphDef(encodeGraphDef(g))).toStrictEqual(g);
      }
    });
    // Both outcomes must really occur, or the test checks nothing.
    expect(decoded).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });

  test('DataType values our schema does not list survive a round trip', () => {
    const g = makeGraphDef({
      node: [makeNode({ name: 'a', op: 'Op', attr: { T: makeAttr.type(77) } })],
    });
    const bytes = encodeGraphDef(g);
    const back = decodeGraphDef(bytes);
    expect(back.node[0]?.attr.T?.type).toBe(77);
    expect(Buffer.from(encodeGraphDef(back)).equals(Buffer.from(bytes))).toBe(true);
  });
});

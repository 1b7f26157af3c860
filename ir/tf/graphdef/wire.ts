// A strict walk over protobuf wire data against the schema, done before
// protobufjs decodes it. protobufjs alone is too forgiving for our purposes:
// it skips fields it does not know (so they would be lost on write-back), it
// reads a sub-message's length from whatever varint stands where the length
// should be (so a wrong wire type is misparsed instead of rejected), and it
// decodes invalid UTF-8 into replacement characters. Walking first lets us
// reject random bytes and refuse to silently drop data.

import protobuf from 'protobufjs';
import { errors } from '../../support/diagnostics.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const SCALAR_WIRE: Readonly<Record<string, number>> = {
  int32: VARINT,
  uint32: VARINT,
  sint32: VARINT,
  int64: VARINT,
  uint64: VARINT,
  sint64: VARINT,
  bool: VARINT,
  fixed64: I64,
  sfixed64: I64,
  double: I64,
  fixed32: I32,
  sfixed32: I32,
  float: I32,
  string: LEN,
  bytes: LEN,
};

/** What the walk found wrong, with the byte offset where it went wrong. */
export interface WireProblem {
  readonly offset: number;
  readonly message: string;
}

// A value slot to check: either a whole message, or one synthetic map entry
// (key = 1, value = 2) of a map field.
type Frame =
  { kind: 'message'; type: protobuf.Type; end: number } | { kind: 'entry'; field: protobuf.MapField; end: number; start: number; hasValue: boolean };

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /** Reads a varint of at most 10 bytes; returns its value as a double (exact below 2^53). */
  varint(limit: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= limit) throw new WireError(this.pos, 'truncated varint');
      const byte = this.buf[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new WireError(this.pos, 'varint longer than 10 bytes');
  }

  /** A varint protobufjs reads as 32 bits (tag, length, int32...): see VARINT32. */
  varint32(limit: number, where: string): number {
    const start = this.pos;
    const value = this.varint(limit);
    const len = this.pos - start;
    if (len > 5 && len < 10) throw new WireError(start, `${where} has a ${len}-byte varint`);
    return value;
  }
}

class WireError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

// protobufjs reads a 32-bit varint as at most 5 bytes and, if the 5th still
// continues, skips 5 more without looking: a 6- to 9-byte varint (legal
// protobuf, never written by TensorFlow) would be misread.
const VARINT32 = new Set(['int32', 'uint32', 'sint32', 'bool']);

// protobufjs builds `fullName` by walking the parents at every read, and the
// walk names a field at every value it checks: remembered per schema object.
const shortNames = new WeakMap<protobuf.ReflectionObject, string>();

function shortName(o: protobuf.ReflectionObject): string {
  let name = shortNames.get(o);
  if (name === undefined) {
    name = o.fullName.replace(/^\./, '');
    shortNames.set(o, name);
  }
  return name;
}

function wireName(wt: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'][wt] ?? `#${wt}`;
}

function checkVarint(cur: Cursor, limit: number, is32: boolean, where: string): void {
  if (is32) cur.varint32(limit, where);
  else cur.varint(limit);
}

/** Checks a packed run of scalars: it must hold a whole number of elements. */
function checkPacked(cur: Cursor, end: number, elementWire: number, is32: boolean, where: string): void {
  if (elementWire === VARINT) {
    while (cur.pos < end) checkVarint(cur, end, is32, where);
    return;
  }
  const size = elementWire === I64 ? 8 : 4;
  if ((end - cur.pos) % size !== 0) {
    throw new WireError(cur.pos, `packed ${where} is not a multiple of ${size} bytes`);
  }
  cur.pos = end;
}

/**
 * Checks one scalar or sub-message occurrence of a field whose tag was just read.
 * Returns a frame to descend into for sub-messages and map entries.
 */
function checkValue(
  cur: Cursor,
  limit: number,
  wt: number,
  valueType: string,
  resolved: protobuf.Type | protobuf.Enum | null,
  repeated: boolean,
  where: string,
): Frame | null {
  const isMessage = resolved instanceof protobuf.Type;
  const expected = isMessage ? LEN : resolved instanceof protobuf.Enum ? VARINT : SCALAR_WIRE[valueType];
  if (expected === undefined) throw errors.internal(`wire walk: unsupported schema type ${valueType}`);
  const valueAt = cur.pos;
  const is32 = resolved instanceof protobuf.Enum || VARINT32.has(valueType);
  if (wt !== expected) {
    const packable = repeated && expected !== LEN && wt === LEN;
    if (!packable) {
      throw new WireError(valueAt, `${where} has wire type ${wireName(wt)}, expected ${wireName(expected)}`);
    }
    const len = cur.varint32(limit, `length of ${where}`);
    if (len > limit - cur.pos) throw new WireError(valueAt, `${where} runs past the end of its message`);
    checkPacked(cur, cur.pos + len, expected, is32, where);
    return null;
  }
  switch (wt) {
    case VARINT:
      checkVarint(cur, limit, is32, where);
      return null;
    case I64:
    case I32: {
      const size = wt === I64 ? 8 : 4;
      if (size > limit - cur.pos) throw new WireError(valueAt, `${where} runs past the end of its message`);
      cur.pos += size;
      return null;
    }
    default: {
      const len = cur.varint32(limit, `length of ${where}`);
      if (len > limit - cur.pos) throw new WireError(valueAt, `${where} runs past the end of its message`);
      const end = cur.pos + len;
      if (isMessage) return { kind: 'message', type: resolved, end };
      if (valueType === 'string') {
        try {
          utf8.decode(cur.buf.subarray(cur.pos, end));
        } catch {
          throw new WireError(cur.pos, `${where} is not valid UTF-8`);
        }
      }
      cur.pos = end;
      return null;
    }
  }
}

/**
 * Walks `bytes` as a message of `type`. Returns null when every field is known
 * to the schema, has the wire type the schema gives it, and lies inside its
 * enclosing message; otherwise the first problem.
 */
export function checkWire(bytes: Uint8Array, type: protobuf.Type): WireProblem | null {
  const cur = new Cursor(bytes);
  const stack: Frame[] = [{ kind: 'message', type, end: bytes.length }];
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (cur.pos === frame.end) {
        // protobufjs stores null for a map entry without its message value,
        // and then cannot encode it; TensorFlow always writes the value.
        if (frame.kind === 'entry' && !frame.hasValue && frame.field.resolvedType instanceof protobuf.Type) {
          throw new WireError(frame.start, `an entry of ${shortName(frame.field)} has no value`);
        }
        stack.pop();
        continue;
      }
      if (stack.length > 100) throw new WireError(cur.pos, 'messages nested more than 100 deep');
      const tagAt = cur.pos;
      const tag = cur.varint32(frame.end, 'a field tag');
      const id = Math.floor(tag / 8);
      const wt = tag % 8;
      if (id === 0 || id > 0x1fffffff) throw new WireError(tagAt, `invalid field number ${id}`);
      if (wt === 3 || wt === 4 || wt > 5) throw new WireError(tagAt, `invalid wire type ${wt}`);

      let next: Frame | null;
      if (frame.kind === 'entry') {
        const f = frame.field;
        if (id === 1) {
          next = checkValue(cur, frame.end, wt, f.keyType, null, false, `key of ${shortName(f)}`);
        } else if (id === 2) {
          frame.hasValue = true;
          next = checkValue(cur, frame.end, wt, f.type, f.resolvedType, false, `value of ${shortName(f)}`);
        } else {
          throw new WireError(tagAt, `map entry of ${shortName(f)} has field ${id}`);
        }
      } else {
        const field = frame.type.fieldsById[id];
        if (field === undefined) {
          throw new WireError(tagAt, `field ${id} of ${shortName(frame.type)} is not in tf2tvm's schema`);
        }
        if (field instanceof protobuf.MapField) {
          if (wt !== LEN) {
            throw new WireError(tagAt, `${shortName(field)} has wire type ${wireName(wt)}, expected length-delimited`);
          }
          const len = cur.varint32(frame.end, `length of ${shortName(field)}`);
          if (len > frame.end - cur.pos) throw new WireError(tagAt, `${shortName(field)} runs past the end of its message`);
          next = { kind: 'entry', field, end: cur.pos + len, start: tagAt, hasValue: false };
        } else {
          next = checkValue(cur, frame.end, wt, field.type, field.resolvedType, field.repeated, shortName(field));
        }
      }
      if (next !== null) stack.push(next);
    }
  } catch (e) {
    if (e instanceof WireError) return { offset: e.offset, message: e.message };
    throw e;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Objects about to be encoded.
//
// protobufjs's encoder trusts its input: a bigint in an int64 field is written
// as 0, a JS string in a bytes field is read as base64. Its own verify() would
// catch those but also rejects enum values missing from our schema, which
// proto3 allows and a newer TensorFlow may write. So we check by hand.

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

function isLongLike(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { low?: unknown; high?: unknown };
  return Number.isInteger(o.low) && Number.isInteger(o.high);
}

interface FieldCheck {
  readonly name: string;
  readonly shape: 'map' | 'repeated' | 'single';
  /** The message type of the values, or null for scalars. */
  readonly message: protobuf.Type | null;
  readonly ok: (v: unknown) => boolean;
  readonly expected: string;
}

function scalarCheck(field: protobuf.Field): Pick<FieldCheck, 'ok' | 'expected'> {
  if (field.resolvedType instanceof protobuf.Enum || INT32_TYPES.has(field.type)) {
    return { ok: Number.isInteger, expected: 'an integer' };
  }
  if (INT64_TYPES.has(field.type)) return { ok: isLongLike, expected: 'an Int64 (a Long, see bigIntToInt64)' };
  switch (field.type) {
    case 'float':
    case 'double':
      return { ok: (v) => typeof v === 'number', expected: 'a number' };
    case 'bool':
      return { ok: (v) => typeof v === 'boolean', expected: 'a boolean' };
    case 'string':
      return { ok: (v) => typeof v === 'string', expected: 'a string' };
    case 'bytes':
      return { ok: (v) => v instanceof Uint8Array, expected: 'a Uint8Array' };
    default:
      throw errors.internal(`encode check: unsupported schema type ${field.type}`);
  }
}

const fieldChecks = new WeakMap<protobuf.Type, readonly FieldCheck[]>();

function checksOf(type: protobuf.Type): readonly FieldCheck[] {
  let checks = fieldChecks.get(type);
  if (checks === undefined) {
    checks = type.fieldsArray.map((field) => {
      const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
      const shape = field instanceof protobuf.MapField ? 'map' : field.repeated ? 'repeated' : 'single';
      const scalar = message === null ? scalarCheck(field) : { ok: () => true, expected: '' };
      return { name: field.name, shape, message, ...scalar };
    });
    fieldChecks.set(type, checks);
  }
  return checks;
}

// Paths are built only when something is wrong: building one per value made
// the check slower than the encoding itself.
interface Item {
  readonly value: unknown;
  readonly type: protobuf.Type;
  readonly parent: Item | null;
  /** Where the parent holds this value: field name, and index or map key. */
  readonly field: string;
  readonly at: number | string | null;
}

function step(field: string, at: number | string | null): string {
  if (at === null) return field === '' ? '' : `.${field}`;
  return `.${field}[${typeof at === 'number' ? at : JSON.stringify(at)}]`;
}

function pathOf(item: Item, field: string, at: number | string | null): string {
  const parts: string[] = [step(field, at)];
  for (let i: Item | null = item; i !== null; i = i.parent) parts.push(i.parent === null ? i.type.name : step(i.field, i.at));
  return parts.reverse().join('');
}

/**
 * Why `obj` cannot be encoded faithfully as a `type` message (with the path to
 * the bad value), or null. Looks only at what protobufjs would write.
 */
export function checkEncodable(obj: unknown, type: protobuf.Type): string | null {
  const stack: Item[] = [{ value: obj, type, parent: null, field: '', at: null }];
  const hasOwn = Object.prototype.hasOwnProperty;
  while (stack.length > 0) {
    const item = stack.pop() as Item;
    const m = item.value;
    if (typeof m !== 'object' || m === null || Array.isArray(m) || m instanceof Uint8Array) {
      return `${pathOf(item, '', null)}: expected a ${item.type.name} message, got ${kindOf(m)}`;
    }
    for (const f of checksOf(item.type)) {
      const v = (m as Record<string, unknown>)[f.name];
      if (v === undefined || v === null) continue;
      if (f.shape === 'single') {
        if (!hasOwn.call(m, f.name)) continue;
        if (f.message !== null) stack.push({ value: v, type: f.message, parent: item, field: f.name, at: null });
        else if (!f.ok(v)) return `${pathOf(item, f.name, null)}: expected ${f.expected}, got ${kindOf(v)}`;
      } else if (f.shape === 'repeated') {
        if (!Array.isArray(v)) return `${pathOf(item, f.name, null)}: expected an array, got ${kindOf(v)}`;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (f.message !== null) stack.push({ value: x, type: f.message, parent: item, field: f.name, at: i });
          else if (!f.ok(x)) return `${pathOf(item, f.name, i)}: expected ${f.expected}, got ${kindOf(x)}`;
        }
      } else {
        if (!hasOwn.call(m, f.name)) continue;
        if (typeof v !== 'object' || Array.isArray(v)) {
          return `${pathOf(item, f.name, null)}: expected an object (map), got ${kindOf(v)}`;
        }
        for (const k of Object.keys(v)) {
          const x = (v as Record<string, unknown>)[k];
          if (f.message !== null) stack.push({ value: x, type: f.message, parent: item, field: f.name, at: k });
          else if (!f.ok(x)) return `${pathOf(item, f.name, k)}: expected ${f.expected}, got ${kindOf(x)}`;
        }
      }
    }
  }
  return null;
}

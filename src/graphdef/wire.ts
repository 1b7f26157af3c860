// A strict walk over protobuf wire data against the schema, done before
// protobufjs decodes it. protobufjs alone is too forgiving for our purposes:
// it skips fields it does not know (so they would be lost on write-back), it
// reads a sub-message's length from whatever varint stands where the length
// should be (so a wrong wire type is misparsed instead of rejected), and it
// decodes invalid UTF-8 into replacement characters. Walking first lets us
// reject random bytes and refuse to silently drop data.

import protobuf from 'protobufjs';

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
  | { kind: 'message'; type: protobuf.Type; end: number }
  | { kind: 'entry'; field: protobuf.MapField; end: number };

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
}

class WireError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

function shortName(o: protobuf.ReflectionObject): string {
  return o.fullName.replace(/^\./, '');
}

function wireName(wt: number): string {
  return ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'][wt] ?? `#${wt}`;
}

/** Checks a packed run of scalars: it must hold a whole number of elements. */
function checkPacked(cur: Cursor, end: number, elementWire: number, where: string): void {
  if (elementWire === VARINT) {
    while (cur.pos < end) cur.varint(end);
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
  if (expected === undefined) throw new Error(`unsupported schema type ${valueType}`);
  const tagAt = cur.pos;
  if (wt !== expected) {
    const packable = repeated && expected !== LEN && wt === LEN;
    if (!packable) {
      throw new WireError(tagAt, `${where} has wire type ${wireName(wt)}, expected ${wireName(expected)}`);
    }
    const len = cur.varint(limit);
    if (len > limit - cur.pos) throw new WireError(tagAt, `${where} runs past the end of its message`);
    checkPacked(cur, cur.pos + len, expected, where);
    return null;
  }
  switch (wt) {
    case VARINT:
      cur.varint(limit);
      return null;
    case I64:
    case I32: {
      const size = wt === I64 ? 8 : 4;
      if (size > limit - cur.pos) throw new WireError(tagAt, `${where} runs past the end of its message`);
      cur.pos += size;
      return null;
    }
    default: {
      const len = cur.varint(limit);
      if (len > limit - cur.pos) throw new WireError(tagAt, `${where} runs past the end of its message`);
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
        stack.pop();
        continue;
      }
      if (stack.length > 100) throw new WireError(cur.pos, 'messages nested more than 100 deep');
      const tagAt = cur.pos;
      const tag = cur.varint(frame.end);
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
          next = checkValue(cur, frame.end, wt, f.type, f.resolvedType, false, `value of ${shortName(f)}`);
        } else {
          throw new WireError(tagAt, `map entry of ${shortName(f)} has field ${id}`);
        }
      } else {
        const field = frame.type.fieldsById[id];
        if (field === undefined) {
          throw new WireError(
            tagAt,
            `field ${id} of ${shortName(frame.type)} is not in tf2tvm's schema`,
          );
        }
        if (field instanceof protobuf.MapField) {
          if (wt !== LEN) {
            throw new WireError(tagAt, `${shortName(field)} has wire type ${wireName(wt)}, expected length-delimited`);
          }
          const len = cur.varint(frame.end);
          if (len > frame.end - cur.pos) throw new WireError(tagAt, `${shortName(field)} runs past the end of its message`);
          next = { kind: 'entry', field, end: cur.pos + len };
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

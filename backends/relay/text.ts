// Spelling of Relay text: types, literals and attribute values. Every number
// goes through here so the emitted text is deterministic and parses.

import type { DType, TensorType } from '../../ir/types.js';

/** `Tensor[(1, 28, 28, 1), float32]`; rank 1 is `(10)`, rank 0 is `()`, as Relay prints them. */
export function relayType(t: TensorType): string {
  return `Tensor[(${t.shape.join(', ')}), ${t.dtype}]`;
}

/** A float attribute value: shortest round-trip spelling plus the `f` suffix (`1e-05f` style). */
export function floatAttr(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`Relay text has no spelling for the float attribute ${v}`);
  return `${numberText(v)}f`;
}

/** An integer attribute value. */
function intAttr(v: number): string {
  if (!Number.isSafeInteger(v)) throw new RangeError(`expected an integer attribute, got ${v}`);
  return String(v);
}

export function intList(vs: readonly number[]): string {
  return `[${vs.map(intAttr).join(', ')}]`;
}

export function boolAttr(v: boolean): string {
  return v ? 'True' : 'False';
}

export function strAttr(v: string): string {
  return JSON.stringify(v);
}

function numberText(v: number): string {
  // JS prints 1e-7 / 1.5e+38 / 0.25 / 3; the Relay lexer reads all of these.
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * A scalar constant of `dtype` usable as an operand (`1f`, `1f16`, `2i64`, ...).
 * Relay text has no int8/uint8/int16/bfloat16 literal, so those are a cast of an int32 literal
 * (folded away at build time). Non-finite floats are spelled as a division so
 * they never depend on a lexer spelling of infinity.
 */
export function scalar(v: number, dtype: DType): string {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'float64': {
      const suffix = dtype === 'float32' ? 'f' : dtype === 'float16' ? 'f16' : 'f64';
      if (Number.isNaN(v)) return `divide(0${suffix}, 0${suffix})`;
      if (!Number.isFinite(v)) return `divide(${v > 0 ? '' : '-'}1${suffix}, 0${suffix})`;
      return `${numberText(v)}${suffix}`;
    }
    case 'int32':
      return intAttr(Math.trunc(v));
    case 'int64':
      return `${intAttr(Math.trunc(v))}i64`;
    case 'int8':
    case 'uint8':
    case 'int16':
      return `cast(${intAttr(Math.trunc(v))}, dtype=${strAttr(dtype)})`;
    case 'bfloat16':
      // No bfloat16 literal either: a float32 one, cast (exact for the values lowerings use: 0, 1, bounds).
      return `cast(${scalar(v, 'float32')}, dtype=${strAttr(dtype)})`;
    case 'bool':
      return v !== 0 ? 'True' : 'False';
  }
}

/** `(%a, %b)`; a one-element tuple keeps its trailing comma. */
export function tuple(items: readonly string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

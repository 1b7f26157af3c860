// Typed access to a NodeDef's attributes. Integers arrive as protobufjs Long
// (int64); they are converted to numbers only where the value is a size, an
// axis or a stride, and only when it is exactly representable. An attribute
// that is missing, of another kind, or an integer beyond 2^53 is bad input:
// a diagnostic naming the node and the attribute.

import { attrKind, type AttrKind, type AttrValue, type NodeDef } from './graphdef/io.js';
import { dtypeFromTf } from './dtypes.js';
import type { DType } from '../types.js';
import { errors, type Tf2tvmError } from '../support/diagnostics.js';

type Int64Like = number | { toString(): string };

export const ATTR_KIND_NAMES: Readonly<Record<AttrKind, string>> = {
  s: 'a string (s)',
  i: 'an int (i)',
  f: 'a float (f)',
  b: 'a bool (b)',
  type: 'a type',
  shape: 'a shape',
  tensor: 'a tensor',
  list: 'a list',
  func: 'a function',
  placeholder: 'a placeholder',
};

interface RawAttr {
  s?: Uint8Array;
  i?: Int64Like;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: RawShape;
  list?: { s?: Uint8Array[]; i?: Int64Like[]; f?: number[]; b?: boolean[]; type?: number[]; shape?: RawShape[] };
}
export interface RawShape {
  dim?: { size?: Int64Like }[];
  unknown_rank?: boolean;
}

function raw(node: NodeDef, name: string): RawAttr | undefined {
  const a = (node.attr as Record<string, RawAttr> | undefined)?.[name];
  return a;
}

function has<K extends keyof RawAttr>(a: RawAttr | undefined, k: K): a is RawAttr & Required<Pick<RawAttr, K>> {
  return a !== undefined && Object.prototype.hasOwnProperty.call(a, k) && a[k] !== undefined && a[k] !== null;
}

const decoder = new TextDecoder();

export class Attrs {
  constructor(private readonly node: NodeDef) {}

  /** An integer attribute value as a number, if exactly representable. */
  private num(name: string, v: Int64Like): number {
    const n = typeof v === 'number' ? v : Number(v.toString());
    if (!Number.isSafeInteger(n)) throw errors.attrIntRange(this.node.name, this.node.op, name, v.toString());
    return n;
  }

  /** Why attribute `name` cannot be read as `expected`: missing, or another kind. */
  private bad(name: string, expected: string, a: RawAttr | undefined): Tf2tvmError {
    if (a === undefined) return errors.attrMissing(this.node.name, this.node.op, name);
    const kind = attrKind(a as AttrValue);
    return errors.attrWrongKind(this.node.name, this.node.op, name, expected, kind === undefined ? 'empty' : ATTR_KIND_NAMES[kind]);
  }

  has(name: string): boolean {
    return raw(this.node, name) !== undefined;
  }

  str(name: string, fallback?: string): string {
    const a = raw(this.node, name);
    if (has(a, 's')) return decoder.decode(a.s);
    if (a === undefined && fallback !== undefined) return fallback;
    throw this.bad(name, 'a string (s)', a);
  }

  int(name: string, fallback?: number): number {
    const a = raw(this.node, name);
    if (has(a, 'i')) return this.num(name, a.i);
    if (a === undefined && fallback !== undefined) return fallback;
    throw this.bad(name, 'an int (i)', a);
  }

  float(name: string, fallback?: number): number {
    const a = raw(this.node, name);
    if (has(a, 'f')) return a.f;
    if (a === undefined && fallback !== undefined) return fallback;
    throw this.bad(name, 'a float (f)', a);
  }

  bool(name: string, fallback = false): boolean {
    const a = raw(this.node, name);
    if (has(a, 'b')) return a.b;
    if (a === undefined) return fallback;
    throw this.bad(name, 'a bool (b)', a);
  }

  ints(name: string, fallback?: number[]): number[] {
    const a = raw(this.node, name);
    if (a?.list) return (a.list.i ?? []).map((v) => this.num(name, v));
    if (a === undefined && fallback !== undefined) return fallback;
    throw this.bad(name, 'a list of ints (list.i)', a);
  }

  /** The TF dtype attr mapped to an IR dtype; undefined when IR has no such dtype. */
  dtype(name: string): DType | undefined {
    const a = raw(this.node, name);
    return has(a, 'type') ? dtypeFromTf(a.type) : undefined;
  }

  rawType(name: string): number | undefined {
    const a = raw(this.node, name);
    return has(a, 'type') ? a.type : undefined;
  }

  types(name: string): number[] {
    return raw(this.node, name)?.list?.type ?? [];
  }

  /** A shape attr: dims (-1 unknown) or undefined for unknown rank / absent. */
  shape(name: string): number[] | undefined {
    const a = raw(this.node, name);
    if (!has(a, 'shape') || a.shape.unknown_rank) return undefined;
    return (a.shape.dim ?? []).map((d) => (d.size === undefined ? 0 : this.num(name, d.size)));
  }

  shapes(name: string): (number[] | undefined)[] {
    const list = raw(this.node, name)?.list?.shape ?? [];
    return list.map((s) => (s.unknown_rank ? undefined : (s.dim ?? []).map((d) => (d.size === undefined ? 0 : this.num(name, d.size)))));
  }
}

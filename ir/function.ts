// IR functions: typed parameters (data inputs and weights), a body of
// instructions in definition order, and results.

import type { Op, ValueId } from './ops.js';
import type { TensorType } from './types.js';
import { errors } from './support/diagnostics.js';

/** Raw little-endian bytes of a constant tensor, kept out of the text form. */
export interface WeightData {
  readonly type: TensorType;
  readonly bytes: Uint8Array;
}

export type Param =
  | { readonly id: ValueId; readonly kind: 'input'; readonly name: string; readonly type: TensorType; readonly source: string }
  | {
      readonly id: ValueId;
      readonly kind: 'weight';
      readonly name: string;
      readonly type: TensorType;
      readonly source: string;
      readonly data: WeightData;
    };

export interface Instr {
  readonly id: ValueId;
  readonly op: Op;
  readonly type: TensorType;
  /** The TensorFlow node this instruction came from, for messages and dumps. */
  readonly origin: string;
}

export interface IrFunction {
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: readonly Instr[];
  readonly results: readonly ValueId[];
}

/** Builds a function in order; ids are dense and assigned by creation. */
export class FunctionBuilder {
  private readonly params: Param[] = [];
  private readonly body: Instr[] = [];
  private readonly types: TensorType[] = [];

  constructor(private readonly name: string) {}

  input(name: string, type: TensorType, source: string): ValueId {
    const id = this.types.length;
    this.types.push(type);
    this.params.push({ id, kind: 'input', name, type, source });
    return id;
  }

  weight(name: string, data: WeightData, source: string): ValueId {
    const id = this.types.length;
    this.types.push(data.type);
    this.params.push({ id, kind: 'weight', name, type: data.type, source, data });
    return id;
  }

  emit(op: Op, type: TensorType, origin: string): ValueId {
    const id = this.types.length;
    this.types.push(type);
    this.body.push({ id, op, type, origin });
    return id;
  }

  typeOf(id: ValueId): TensorType {
    const t = this.types[id];
    if (!t) throw errors.internal(`unknown IR value %${id}`);
    return t;
  }

  finish(results: readonly ValueId[]): IrFunction {
    return { name: this.name, params: [...this.params], body: [...this.body], results: [...results] };
  }
}

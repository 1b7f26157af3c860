// What an entry of the TensorFlow op tables is: for each supported op, its
// category, its constraints, its type rule (static shapes) and its lowering
// to IR, and the contexts those see. The tables themselves are in ops/, one
// file per category, joined by ops/index.ts.

import type { FunctionBuilder } from '../function.js';
import type { ValueId } from '../ops.js';
import type { DType, TensorType } from '../types.js';
import type { Attrs } from './attrs.js';
import type { ConstTensor } from './consts.js';
import type { GNode } from './graph.js';
import type { ReasonCode } from '../support/reasons.js';

export interface NodeCtx {
  readonly node: GNode;
  readonly attrs: Attrs;
  /** Static types of the data inputs; undefined where unknown. */
  readonly inputs: readonly (TensorType | undefined)[];
  /** The compile-time value of data input i, if known. */
  constInput(i: number): ConstTensor | undefined;
  /**
   * Whether output k is read by another node. A node nobody reads (no data and
   * no control consumers) is a fetchable graph output: every output counts as
   * used, as form-clusters counts it. Ops that compute only some of their
   * outputs (FusedBatchNorm) refuse the node when another one is used.
   */
  outputUsed(k: number): boolean;
}

export interface LowerCtx extends NodeCtx {
  readonly b: FunctionBuilder;
  readonly outputs: readonly TensorType[];
  /** The IR value of data input i (a cluster value, a weight, or a function input). */
  value(i: number): ValueId;
  /** A new weight parameter holding `c` (e.g. a transposed copy of a constant). */
  weight(c: ConstTensor, hint: string): ValueId;
  emit(op: Parameters<FunctionBuilder['emit']>[0], type: TensorType): ValueId;
}

/** Thrown by a type rule when the node cannot be typed (a refusal, not a bug). */
export class Unsupported extends Error {
  constructor(
    message: string,
    readonly reason: ReasonCode = 'unsupported-variant',
  ) {
    super(message);
  }
}

/** A variant of a supported op that stays in TensorFlow, and the reason code it is refused with. */
export interface Refusal {
  /** What is refused, as a user would put it ("padding other than SAME, VALID or EXPLICIT"). */
  readonly variant: string;
  readonly reason: ReasonCode;
}

/** Kernel dtypes an op leaves to TensorFlow, and why. */
export interface DtypeRefusal {
  readonly dtypes: readonly string[];
  readonly why: string;
}

export interface TfOpDef {
  readonly category: string;
  /**
   * The dtypes of the data input(s) the op is compiled for; any other is
   * refused (unsupported-dtype). Absent: every dtype the IR has.
   */
  readonly dtypes?: readonly DType[];
  /**
   * Dtypes TensorFlow has a CPU kernel for (ir/tf/kernels.json, the op's
   * data) that are not in `dtypes`, and why they stay in TensorFlow: listed
   * in docs/ops.md; test/conformance/dtypes.test.ts checks that every kernel
   * dtype of a convolution, matmul, elementwise or reduction op is either
   * lowered with a conformance case or named here.
   */
  readonly dtypeRefusals?: readonly DtypeRefusal[];
  /**
   * The variants the type rule or check refuses beyond a dtype, an unknown
   * shape or a non-constant constInput (those apply to every op). Listed in
   * docs/ops.md; test/ir/tf/ops checks each one happens.
   */
  readonly refuses?: readonly Refusal[];
  /** Compute-intensive: a cluster under the `compute` policy needs one of these. */
  readonly compute?: boolean;
  /** Lowers to no code (Identity and its kin): not counted toward a cluster's size. */
  readonly free?: boolean;
  /** Data inputs whose values must be known at compile time. */
  readonly constInputs?: readonly number[];
  /**
   * Constraints that do not change the output types: why this node cannot be
   * compiled, if so (a message: reason unsupported-variant; or throw
   * Unsupported for another reason code). Runs after infer and fold, so a
   * refused node keeps its types and values and its consumers stay typed.
   */
  check?(c: NodeCtx): string | undefined;
  /** Output types; may throw Unsupported. */
  infer(c: NodeCtx): TensorType[];
  /** Compile-time output values, when derivable (Const, Shape, ...). */
  fold?(c: NodeCtx): ConstTensor[] | undefined;
  /** Lowering to IR; returns one value per output. Absent: the op only folds. */
  lower?(c: LowerCtx): ValueId[];
}

export type OpTable = Readonly<Record<string, TfOpDef>>;

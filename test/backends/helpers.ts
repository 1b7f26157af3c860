// Shared by the backend tests: small IR functions built by hand, and a way to
// run Python snippets in the toolchain (tvm only, never tensorflow).

import { execa } from 'execa';
import { FunctionBuilder, type IrFunction } from '../../ir/function.js';
import { inferOpType } from '../../ir/infer.js';
import type { Op, ValueId } from '../../ir/ops.js';
import { numElements, type DType, type TensorType } from '../../ir/types.js';
import { bytesPerElement } from '../../ir/verify.js';
import type { Toolchain } from '../../backends/python/toolchain.js';

/** Deterministic values in [-1, 1) (a small LCG), as raw little-endian bytes of `dtype`. */
export function weightBytes(type: TensorType, seed: number): Uint8Array {
  const n = numElements(type.shape);
  const out = new Uint8Array(n * bytesPerElement(type.dtype));
  const view = new DataView(out.buffer);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 31 - 1;
    const at = i * bytesPerElement(type.dtype);
    switch (type.dtype) {
      case 'float32':
        view.setFloat32(at, v, true);
        break;
      case 'float64':
        view.setFloat64(at, v, true);
        break;
      case 'int32':
        view.setInt32(at, Math.round(v * 100), true);
        break;
      case 'int64':
        view.setBigInt64(at, BigInt(Math.round(v * 100)), true);
        break;
      default:
        view.setUint8(at, Math.round((v + 1) * 100) & 0xff);
    }
  }
  return out;
}

/** A FunctionBuilder whose `op` types each instruction with the IR's own rules. */
export class Fn {
  readonly b: FunctionBuilder;
  private inputs = 0;
  private weights = 0;
  constructor(name: string) {
    this.b = new FunctionBuilder(name);
  }
  input(dtype: DType, shape: readonly number[]): ValueId {
    return this.b.input(`in${this.inputs++}`, { dtype, shape }, `x${this.inputs}`);
  }
  weight(dtype: DType, shape: readonly number[], name?: string): ValueId {
    const type = { dtype, shape };
    const n = this.weights++;
    return this.b.weight(name ?? `const_${n}`, { type, bytes: weightBytes(type, n + 1) }, name ?? `const_${n}`);
  }
  op(op: Op, origin = 'test'): ValueId {
    const type = inferOpType(
      op,
      op.args.map((a) => this.b.typeOf(a)),
    );
    return this.b.emit(op, type, origin);
  }
  finish(...results: ValueId[]): IrFunction {
    return this.b.finish(results);
  }
}

/**
 * The test network: conv2d (NHWC, 3x3, stride 2, SAME-style pads [0, 0, 1, 1])
 * + bias_add + relu + reshape + dense + softmax, on a [1, 8, 8, 2] input.
 */
export function smallNet(): IrFunction {
  const f = new Fn('small_net');
  const x = f.input('float32', [1, 8, 8, 2]);
  const k = f.weight('float32', [3, 3, 2, 4], 'conv/kernel');
  const bias = f.weight('float32', [4], 'conv/bias');
  const fc = f.weight('float32', [10, 64], 'fc/kernel');
  const conv = f.op({
    kind: 'conv2d',
    args: [x, k],
    strides: [2, 2],
    dilations: [1, 1],
    pads: [0, 0, 1, 1],
    groups: 1,
    dataLayout: 'NHWC',
    kernelLayout: 'HWIO',
  });
  const biased = f.op({ kind: 'bias_add', args: [conv, bias], axis: 3 });
  const relu = f.op({ kind: 'unary', fn: 'relu', args: [biased] });
  const flat = f.op({ kind: 'reshape', args: [relu], shape: [1, 64] });
  const logits = f.op({ kind: 'dense', args: [flat, fc] });
  const probs = f.op({ kind: 'softmax', args: [logits], axis: -1, log: false });
  return f.finish(probs);
}

/** Runs `code` with the toolchain's python (TVM env set), `input` as JSON on stdin; returns stdout parsed as JSON. */
export async function runPython<T>(tc: Toolchain, code: string, input: unknown): Promise<T> {
  const r = await execa(tc.python, ['-c', code], {
    env: tc.env({ threads: 1 }),
    input: JSON.stringify(input),
    reject: false,
  });
  if (r.exitCode !== 0) {
    throw new Error(`python exited ${r.exitCode}:\n${String(r.stderr).split('\n').slice(-30).join('\n')}`);
  }
  const lines = String(r.stdout).trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

/** Python: relay type -> JSON ({dtype, shape} or a list of them). */
export const PY_TYPE_TO_JSON = `
def type_json(t):
    from tvm import relay
    if isinstance(t, relay.TupleType):
        return [type_json(f) for f in t.fields]
    return {"dtype": t.dtype, "shape": [int(d) for d in t.shape]}
`;

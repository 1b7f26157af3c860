// IR function -> ONNX model (opset 18, IR version 8: the newest onnx-proto
// 8.0.1 defines), weights as initializers, inputs in0.. and outputs out0.. in
// the bridge node's order. The only module that touches onnx-proto (and the
// protobufjs 6 it brings; docs/backends.md, "ONNX export").

import onnxProto from 'onnx-proto';
import type { IrFunction } from '../../ir/function.js';
import type { DType, TensorType } from '../../ir/types.js';
import { errors } from '../../ir/support/diagnostics.js';
import { GraphBuilder, OnnxUnsupported, type OnnxAttr, type OnnxTensor } from './graph.js';
import { ONNX_LOWERINGS } from './ops/index.js';
import type { OnnxLowering } from './ops/lowering.js';
import { onnxDtype } from './ops/dtypes.js';

export { OnnxUnsupported } from './graph.js';

const UNEXPORTED_DTYPES: ReadonlySet<DType> = new Set<DType>(['bfloat16', 'int16']);

const { onnx } = onnxProto;

export const ONNX_OPSET = 18;
export const ONNX_IR_VERSION = 8;

function valueInfo(name: string, t: TensorType): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnxDtype(t.dtype), shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } } };
}

function tensorProto(t: OnnxTensor): onnxProto.onnx.ITensorProto {
  return { name: t.name, dataType: onnxDtype(t.dtype), dims: [...t.dims], rawData: t.bytes };
}

function attribute(a: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name: a.name, type: T.INT, i: a.value };
    case 'float':
      return { name: a.name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name: a.name, type: T.INTS, ints: [...a.value] };
    case 'string':
      return { name: a.name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/**
 * The ONNX model of one cluster function, serialised. Throws OnnxUnsupported
 * for an op ONNX cannot express the way the IR means it.
 */
export function emitOnnx(fn: IrFunction, producerVersion: string): Uint8Array {
  // ONNX has both dtypes, but ONNX Runtime's CPU kernels take neither for
  // the arithmetic a cluster does: such a cluster is not exported.
  for (const t of [...fn.params.map((p) => p.type), ...fn.body.map((i) => i.type)]) {
    if (UNEXPORTED_DTYPES.has(t.dtype)) throw new OnnxUnsupported(`${t.dtype} tensors (ONNX Runtime has no CPU kernels for them)`);
  }
  const g = new GraphBuilder();
  const names = new Map<number, string>();
  const types = new Map<number, TensorType>();
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const initializers: OnnxTensor[] = [];
  for (const p of fn.params) {
    names.set(p.id, p.name);
    types.set(p.id, p.type);
    if (p.kind === 'input') inputs.push(valueInfo(p.name, p.type));
    else initializers.push({ name: p.name, dtype: p.type.dtype, dims: p.type.shape, bytes: p.data.bytes });
  }
  for (const instr of fn.body) {
    const args = instr.op.args.map((a) => names.get(a) ?? '');
    const argTypes = instr.op.args.map((a) => {
      const t = types.get(a);
      if (!t) throw errors.internal(`ONNX export: %${a} used before it is defined in ${fn.name}`);
      return t;
    });
    const out = `v${instr.id}`;
    const lower = ONNX_LOWERINGS[instr.op.kind] as OnnxLowering<typeof instr.op.kind>;
    lower(instr.op, args, instr.type, argTypes, g, out);
    names.set(instr.id, out);
    types.set(instr.id, instr.type);
  }
  // Graph outputs are distinct names produced by nodes: one Identity each
  // (a result may be an input, or the same value twice).
  const outputs = fn.results.map((id, j) => {
    const name = `out${j}`;
    g.node('Identity', [names.get(id) ?? ''], [], name);
    return valueInfo(name, types.get(id)!);
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'tf2tvm',
    producerVersion,
    graph: {
      name: fn.name,
      node: g.nodes.map((n) => ({ opType: n.opType, input: [...n.inputs], output: [...n.outputs], attribute: n.attrs.map(attribute) })),
      initializer: [...initializers, ...g.constants].map(tensorProto),
      input: inputs,
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

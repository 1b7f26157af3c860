// The Relay emitter: golden text for the test network, and every op variant
// checked against the real TVM parser (relay.parse + InferType, one Python
// call for all), with the inferred Relay types equal to the IR's types; ops
// Relay has no direct counterpart for are also run against numpy.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IrFunction } from '../../ir/function.js';
import type { BinaryFn, OpKind, ReduceFn, UnaryFn } from '../../ir/ops.js';
import type { DType, TensorType } from '../../ir/types.js';
import { verifyFunction } from '../../ir/verify.js';
import { emitRelay, RELAY_HEADER } from '../../backends/relay/emit.js';
import { writeRelayFiles } from '../../backends/relay/files.js';
import { decodeNpy, encodeNpy } from '../../backends/relay/npy.js';
import { LOWERINGS } from '../../backends/relay/ops/index.js';
import { findToolchain, hostTarget, type Toolchain } from '../../backends/python/toolchain.js';
import { Fn, PY_TYPE_TO_JSON, runPython, smallNet, weightBytes } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const GOLDEN = path.join(here, 'golden', 'small-net.relay');

let tc: Toolchain;
beforeAll(async () => {
  tc = await findToolchain();
});

describe('emitRelay', () => {
  test('test network matches the golden text', () => {
    const f = smallNet();
    expect(verifyFunction(f)).toEqual([]);
    const { text, params, inputs, outputs } = emitRelay(f);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
    expect(text.split('\n')[0]).toBe(RELAY_HEADER);
    expect(params.map((p) => [p.name, p.source, p.type.shape])).toEqual([
      ['w0', 'conv/kernel', [3, 3, 2, 4]],
      ['w1', 'conv/bias', [4]],
      ['w2', 'fc/kernel', [10, 64]],
    ]);
    expect(inputs.map((i) => i.name)).toEqual(['in0']);
    expect(outputs).toEqual([{ dtype: 'float32', shape: [1, 10] }]);
    // Weights are parameters, never inlined.
    expect(text).not.toMatch(/meta\[|const/);
  });

  test('is deterministic', () => {
    expect(emitRelay(smallNet()).text).toBe(emitRelay(smallNet()).text);
  });

  test('several results become a tuple, in order', () => {
    const f = new Fn('two');
    const x = f.input('float32', [2, 3]);
    const r = f.op({ kind: 'unary', fn: 'relu', args: [x] });
    const { text, outputs } = emitRelay(f.finish(r, x));
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(['  (%0, %in0)', '}']);
    expect(outputs.length).toBe(2);
  });

  test('rejects an input name Relay cannot spell', () => {
    const f = new Fn('bad');
    const x = f.b.input('in/0', { dtype: 'float32', shape: [1] }, 'x');
    expect(() => emitRelay(f.finish(x))).toThrow(/not a Relay identifier/);
  });

  test('the golden text parses in TVM and types as the IR says', async () => {
    const text = readFileSync(GOLDEN, 'utf8');
    const out = await runPython<unknown>(
      tc,
      `import sys, json, tvm
from tvm import relay
${PY_TYPE_TO_JSON}
mod = relay.transform.InferType()(relay.parse(json.load(sys.stdin)))
print(json.dumps(type_json(mod["main"].checked_type.ret_type)))`,
      text,
    );
    expect(out).toEqual({ dtype: 'float32', shape: [1, 10] });
  });
});

// ---------------------------------------------------------------------------
// One small function per op variant.

interface Case {
  readonly name: string;
  readonly fn: IrFunction;
  /** numpy reference over `a` (dict of @main's parameters by name), when checked numerically. */
  readonly ref?: string;
  /** Draw float inputs from (0.1, 3) instead of normal(0, 2). */
  readonly positive?: boolean;
  /** Draw float inputs from (-0.95, 0.95). */
  readonly unit?: boolean;
}

function unaryCase(fn: UnaryFn, dtype: DType = 'float32'): Case {
  const f = new Fn(`unary_${fn}`);
  const x = f.input(dtype, [2, 3, 4]);
  const refs: Record<UnaryFn, string> = {
    relu: 'np.maximum(x, 0)',
    sigmoid: '1 / (1 + np.exp(-x))',
    tanh: 'np.tanh(x)',
    exp: 'np.exp(x)',
    log: 'np.log(x)',
    sqrt: 'np.sqrt(x)',
    rsqrt: '1 / np.sqrt(x)',
    square: 'x * x',
    neg: '-x',
    abs: 'np.abs(x)',
    erf: 'scipy.special.erf(x)',
    softplus: 'np.logaddexp(0, x)',
    elu: 'np.where(x > 0, x, np.expm1(x))',
    selu: '1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))',
    floor: 'np.floor(x)',
    ceil: 'np.ceil(x)',
    identity: 'x',
    round: 'np.round(x * 2) / 2',
    sign: 'np.sign(x)',
    sin: 'np.sin(x)',
    cos: 'np.cos(x)',
    tan: 'np.tan(x)',
    asin: 'np.arcsin(x)',
    acos: 'np.arccos(x)',
    atan: 'np.arctan(x)',
    sinh: 'np.sinh(x)',
    cosh: 'np.cosh(x)',
    asinh: 'np.arcsinh(x)',
    acosh: 'np.arccosh(x)',
    atanh: 'np.arctanh(x)',
    log1p: 'np.log1p(x)',
    expm1: 'np.expm1(x)',
    softsign: 'x / (1 + np.abs(x))',
    logical_not: 'np.logical_not(x)',
  };
  // Round's case rounds 2x: halves land on .0 or .5 pairs, where half-to-even shows (np.round rounds halves to even).
  const data = fn === 'round' ? f.op({ kind: 'binary', fn: 'mul', args: [x, f.op({ kind: 'fill_like', args: [x], value: 2 })] }) : x;
  const body = f.op({ kind: 'unary', fn, args: [data] });
  const ref = fn === 'round' ? 'np.round(a["in0"] * 2)' : `(lambda x: ${refs[fn]})(a["in0"])`;
  return {
    name: `unary_${fn}_${dtype}`,
    fn: f.finish(body),
    ...(dtype === 'float16' ? {} : { ref }),
    positive: fn === 'log' || fn === 'sqrt' || fn === 'rsqrt' || fn === 'acosh',
    ...(UNIT_DOMAIN.has(fn) ? { unit: true } : {}),
  };
}

/** Functions defined on (-1, 1) only: drawn from there. */
const UNIT_DOMAIN = new Set<UnaryFn>(['asin', 'acos', 'atanh']);

/** y with its zeros replaced by 7: a divisor of either sign that is never zero. */
function nonZero(f: Fn, y: number): number {
  const zero = f.op({ kind: 'fill_like', args: [y], value: 0 });
  const seven = f.op({ kind: 'fill_like', args: [y], value: 7 });
  return f.op({ kind: 'select', args: [f.op({ kind: 'compare', fn: 'equal', args: [y, zero] }), seven, y] });
}

/** Integer and bool binary functions, on their own dtypes (numpy refs; divisors never zero). */
function intBinaryCase(fn: BinaryFn, dtype: DType): Case {
  const f = new Fn(`binary_${fn}_${dtype}`);
  const a = f.input(dtype, [2, 3, 4]);
  const y = f.input(dtype, [3, 1]);
  const divides = ['floor_div', 'floor_mod', 'trunc_div', 'trunc_mod'].includes(fn);
  const b = divides ? nonZero(f, y) : y;
  const yPy = divides ? 'np.where(a["in1"] == 0, 7, a["in1"]).astype(a["in1"].dtype)' : 'a["in1"]';
  const bits = dtype === 'int64' ? 63 : 31;
  const refs: Partial<Record<BinaryFn, string>> = {
    floor_div: 'np.floor_divide(x, y)',
    floor_mod: 'np.mod(x, y)',
    trunc_div: '(np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))).astype(x.dtype)',
    trunc_mod: 'np.fmod(x, y)',
    left_shift: `np.left_shift(x, np.clip(y, 0, ${bits}))`,
    right_shift: `np.right_shift(x, np.clip(y, 0, ${bits}))`,
    logical_and: 'np.logical_and(x, y)',
    logical_or: 'np.logical_or(x, y)',
  };
  return {
    name: `binary_${fn}_${dtype}`,
    fn: f.finish(f.op({ kind: 'binary', fn, args: [a, b] })),
    ref: `(lambda x, y: ${refs[fn]})(a["in0"], ${yPy})`,
  };
}

function binaryCase(fn: BinaryFn): Case {
  const f = new Fn(`binary_${fn}`);
  const a = f.input('float32', [2, 3, 4]);
  const b = f.input('float32', [3, 1]);
  const refs: Record<BinaryFn, string> = {
    add: 'x + y',
    sub: 'x - y',
    mul: 'x * y',
    div: 'x / y',
    max: 'np.maximum(x, y)',
    min: 'np.minimum(x, y)',
    pow: 'np.power(x, y)',
    squared_difference: '(x - y) ** 2',
    floor_div: 'np.floor_divide(x, y)',
    floor_mod: 'np.mod(x, y)',
    trunc_div: 'np.trunc(x / y)',
    trunc_mod: 'np.fmod(x, y)',
    left_shift: '',
    right_shift: '',
    atan2: 'np.arctan2(x, y)',
    logical_and: '',
    logical_or: '',
  };
  return {
    name: `binary_${fn}`,
    fn: f.finish(f.op({ kind: 'binary', fn, args: [a, b] })),
    ref: `(lambda x, y: ${refs[fn]})(a["in0"], a["in1"])`,
    positive: fn === 'div' || fn === 'pow' || fn.endsWith('_div') || fn.endsWith('_mod'),
  };
}

function single(name: string, dtype: DType, shape: readonly number[], build: (f: Fn, x: number) => number, ref?: string): Case {
  const f = new Fn(name);
  const x = f.input(dtype, shape);
  return { name, fn: f.finish(build(f, x)), ...(ref !== undefined ? { ref } : {}) };
}

function reduceCase(fn: ReduceFn, axes: number[], keepDims: boolean): Case {
  const np = { sum: 'np.sum', mean: 'np.mean', max: 'np.max', min: 'np.min', prod: 'np.prod', all: 'np.all', any: 'np.any' }[fn];
  const axisPy = axes.length === 0 ? 'x' : `${np}(x, axis=(${axes.join(', ')},), keepdims=${keepDims ? 'True' : 'False'})`;
  return single(
    `reduce_${fn}_${axes.join('_') || 'none'}_${keepDims ? 'keep' : 'drop'}`,
    'float32',
    [2, 3, 4],
    (f, x) => f.op({ kind: 'reduce', fn, args: [x], axes, keepDims }),
    `(lambda x: ${axisPy})(a["in0"])`,
  );
}

function convCase(
  name: string,
  layout: 'NHWC' | 'NCHW',
  kernelLayout: 'HWIO' | 'HWOI',
  c: number,
  w: [number, number, number, number],
  groups: number,
  strides: [number, number],
  dilations: [number, number],
  pads: [number, number, number, number],
): Case {
  const f = new Fn(name);
  const x = f.input('float32', layout === 'NHWC' ? [1, 7, 6, c] : [1, c, 7, 6]);
  const k = f.weight('float32', w);
  const y = f.op({ kind: 'conv2d', args: [x, k], strides, dilations, pads, groups, dataLayout: layout, kernelLayout });
  // Reference: grouped NHWC/HWIO conv; depthwise HWOI [kh, kw, C, m] is groups=C with weight [kh, kw, 1, C*m].
  const wPy = kernelLayout === 'HWOI' ? `a["w0"].reshape(${w[0]}, ${w[1]}, 1, ${w[2] * w[3]})` : 'a["w0"]';
  const xPy = layout === 'NHWC' ? 'a["in0"]' : 'a["in0"].transpose(0, 2, 3, 1)';
  const call = `conv_nhwc(${xPy}, ${wPy}, ${groups}, (${strides.join(', ')}), (${dilations.join(', ')}), (${pads.join(', ')}))`;
  return { name, fn: f.finish(y), ref: layout === 'NHWC' ? call : `${call}.transpose(0, 3, 1, 2)` };
}

function poolCase(
  fn: 'max' | 'avg',
  layout: 'NHWC' | 'NCHW',
  size: [number, number],
  strides: [number, number],
  pads: [number, number, number, number],
): Case {
  const name = `pool_${fn}_${layout}_${pads.join('')}`;
  const xPy = layout === 'NHWC' ? 'a["in0"]' : 'a["in0"].transpose(0, 2, 3, 1)';
  const call = `pool_nhwc(${xPy}, "${fn}", (${size.join(', ')}), (${strides.join(', ')}), (${pads.join(', ')}))`;
  return single(
    name,
    'float32',
    layout === 'NHWC' ? [1, 7, 6, 3] : [1, 3, 7, 6],
    (f, x) => f.op({ kind: 'pool2d', fn, args: [x], size, strides, pads, layout }),
    layout === 'NHWC' ? call : `${call}.transpose(0, 3, 1, 2)`,
  );
}

function padCase(dtype: DType, mode: 'constant' | 'reflect' | 'symmetric', value: number): Case {
  const pads: [number, number][] = [
    [0, 0],
    [1, 2],
    [2, 1],
  ];
  const npMode = mode === 'constant' ? `"constant", constant_values=np.array(${value}).astype(a["in0"].dtype)` : `"${mode}"`;
  return single(
    `pad_${mode}_${dtype}`,
    dtype,
    [2, 3, 4],
    (f, x) => f.op({ kind: 'pad', args: [x], pads, mode, value }),
    `np.pad(a["in0"], ${JSON.stringify(pads)}, ${npMode})`,
  );
}

function matmulCases(): Case[] {
  const cases: Case[] = [];
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const f = new Fn(`bmm_${ta}_${tb}`);
      const x = f.input('float32', ta ? [2, 4, 3] : [2, 3, 4]);
      const y = f.input('float32', tb ? [2, 5, 4] : [2, 4, 5]);
      const tx = ta ? 'a["in0"].transpose(0, 2, 1)' : 'a["in0"]';
      const ty = tb ? 'a["in1"].transpose(0, 2, 1)' : 'a["in1"]';
      cases.push({
        name: `batch_matmul_${ta ? 't' : 'n'}${tb ? 't' : 'n'}`,
        fn: f.finish(f.op({ kind: 'batch_matmul', args: [x, y], transposeA: ta, transposeB: tb })),
        ref: `np.matmul(${tx}, ${ty})`,
      });
    }
  }
  {
    const f = new Fn('bmm_bcast');
    const x = f.input('float32', [3, 2, 4]);
    const w = f.weight('float32', [1, 5, 4]);
    cases.push({
      name: 'batch_matmul_broadcast',
      fn: f.finish(f.op({ kind: 'batch_matmul', args: [x, w], transposeA: false, transposeB: true })),
      ref: 'np.matmul(a["in0"], a["w0"].transpose(0, 2, 1))',
    });
  }
  for (const shape of [
    [2, 6],
    [2, 3, 6],
    [1, 2, 3, 6],
  ]) {
    const f = new Fn('dense');
    const x = f.input('float32', shape);
    const w = f.weight('float32', [4, 6]);
    cases.push({
      name: `dense_rank${shape.length}`,
      fn: f.finish(f.op({ kind: 'dense', args: [x, w] })),
      ref: 'np.matmul(a["in0"], a["w0"].T)',
    });
  }
  return cases;
}

const UNARY_FNS: UnaryFn[] = [
  'relu',
  'sigmoid',
  'tanh',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'square',
  'neg',
  'abs',
  'erf',
  'softplus',
  'elu',
  'selu',
  'floor',
  'ceil',
  'identity',
  'round',
  'sign',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'asinh',
  'acosh',
  'atanh',
  'log1p',
  'expm1',
  'softsign',
];
const BINARY_FNS: BinaryFn[] = [
  'add',
  'sub',
  'mul',
  'div',
  'max',
  'min',
  'pow',
  'squared_difference',
  'floor_div',
  'floor_mod',
  'trunc_div',
  'trunc_mod',
  'atan2',
];

/** The newer op kinds: comparisons, tests, select, gathers, fills, index ops, lrn. */
function indexingCases(): Case[] {
  const cases: Case[] = [];
  for (const fn of ['equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'] as const) {
    const f = new Fn(`compare_${fn}`);
    const a = f.input('int32', [2, 3]);
    const b = f.input('int32', [3]);
    const np = { equal: '==', not_equal: '!=', less: '<', less_equal: '<=', greater: '>', greater_equal: '>=' }[fn];
    // Integers from [-50, 50): equal pairs occur.
    cases.push({ name: `compare_${fn}`, fn: f.finish(f.op({ kind: 'compare', fn, args: [a, b] })), ref: `a["in0"] ${np} a["in1"]` });
  }
  for (const fn of ['isnan', 'isinf', 'isfinite'] as const) {
    const f = new Fn(`test_${fn}`);
    const x = f.input('float32', [2, 5]);
    // log of normal draws: NaN for negatives; exp(100 x): inf for x > 0.9.
    const l = f.op({ kind: 'unary', fn: 'log', args: [x] });
    const inf = f.op({
      kind: 'unary',
      fn: 'exp',
      args: [f.op({ kind: 'binary', fn: 'mul', args: [x, f.op({ kind: 'fill_like', args: [x], value: 100 })] })],
    });
    const y = f.op({ kind: 'concat', args: [l, inf, x], axis: 0 });
    cases.push({
      name: `test_${fn}`,
      fn: f.finish(f.op({ kind: 'test', fn, args: [y] })),
      ref: `np.${fn}(np.concatenate([np.log(a["in0"]), np.exp(a["in0"] * np.float32(100)), a["in0"]]))`,
    });
  }
  {
    const f = new Fn('select');
    const c = f.input('bool', [3, 1]);
    const a = f.input('float32', [2, 3, 4]);
    const b = f.input('float32', [4]);
    cases.push({ name: 'select_broadcast', fn: f.finish(f.op({ kind: 'select', args: [c, a, b] })), ref: 'np.where(a["in0"], a["in1"], a["in2"])' });
  }
  for (const [axis, batchDims] of [
    [0, 0],
    [1, 0],
    [1, 1],
  ] as const) {
    const f = new Fn('take');
    const d = f.input('float32', [3, 4, 2]);
    const idx = f.input('int32', batchDims ? [3, 5] : [2, 5]);
    const idxPy = 'np.mod(a["in1"], 4 if %d else 3)'.replace('%d', String(axis));
    // Indices are drawn in [-50, 50): fold them into range in the IR too (floor_mod).
    const bound = f.op({ kind: 'fill_like', args: [idx], value: axis ? 4 : 3 });
    const i2 = f.op({ kind: 'binary', fn: 'floor_mod', args: [idx, bound] });
    const ref =
      batchDims === 0 ? `np.take(a["in0"], ${idxPy}, axis=${axis})` : `np.stack([np.take(a["in0"][b], ${idxPy}[b], axis=0) for b in range(3)])`;
    cases.push({ name: `take_axis${axis}_batch${batchDims}`, fn: f.finish(f.op({ kind: 'take', args: [d, i2], axis, batchDims })), ref });
  }
  {
    const f = new Fn('gather_nd');
    const d = f.input('float32', [3, 4, 2]);
    const idx = f.input('int64', [5, 2]);
    const i2 = f.op({ kind: 'binary', fn: 'floor_mod', args: [idx, f.op({ kind: 'fill_like', args: [idx], value: 3 })] });
    cases.push({
      name: 'gather_nd',
      fn: f.finish(f.op({ kind: 'gather_nd', args: [d, i2] })),
      ref: '(lambda i: a["in0"][i[:, 0], i[:, 1]])(np.mod(a["in1"], 3))',
    });
  }
  cases.push(single('tile', 'float32', [2, 3], (f, x) => f.op({ kind: 'tile', args: [x], reps: [2, 3] }), 'np.tile(a["in0"], (2, 3))'));
  cases.push(
    single(
      'broadcast_to',
      'int64',
      [3, 1],
      (f, x) => f.op({ kind: 'broadcast_to', args: [x], shape: [2, 3, 4] }),
      'np.broadcast_to(a["in0"], (2, 3, 4))',
    ),
  );
  for (const fn of ['max', 'min'] as const) {
    cases.push(
      single(
        `arg_${fn}`,
        'float32',
        [3, 5, 2],
        (f, x) => f.op({ kind: 'arg_reduce', fn, args: [x], axis: 1, dtype: 'int64' }),
        `np.arg${fn}(a["in0"], axis=1)`,
      ),
    );
  }
  for (const output of ['values', 'indices'] as const) {
    cases.push(
      single(
        `top_k_${output}`,
        'float32',
        [3, 6],
        (f, x) => f.op({ kind: 'top_k', args: [x], k: 3, output }),
        output === 'values' ? '-np.sort(-a["in0"], axis=-1)[:, :3]' : 'np.argsort(-a["in0"], axis=-1, kind="stable")[:, :3]',
      ),
    );
  }
  {
    const f = new Fn('one_hot');
    const idx = f.input('int32', [2, 3]);
    const on = f.input('float32', []);
    const off = f.input('float32', []);
    const i2 = f.op({ kind: 'binary', fn: 'floor_mod', args: [idx, f.op({ kind: 'fill_like', args: [idx], value: 6 })] });
    cases.push({
      name: 'one_hot_axis1',
      fn: f.finish(f.op({ kind: 'one_hot', args: [i2, on, off], depth: 4, axis: 1 })),
      ref: '(lambda i: np.where(np.arange(4)[None, :, None] == i[:, None, :], a["in1"], a["in2"]))(np.mod(a["in0"], 6))',
    });
  }
  cases.push(
    single(
      'lrn',
      'float32',
      [1, 2, 2, 7],
      (f, x) => f.op({ kind: 'lrn', args: [x], axis: 3, size: 5, bias: 1, alpha: 0.1, beta: 0.75 }),
      '(lambda x: x / (1 + 0.1 * np.stack([np.sum(x[..., max(0, c - 2):c + 3] ** 2, axis=-1) for c in range(7)], -1)) ** 0.75)(a["in0"].astype(np.float64))',
    ),
  );
  for (const [layout, stride, pads, outPad] of [
    ['NHWC', 2, [1, 1, 1, 1], 1],
    ['NCHW', 1, [0, 1, 0, 1], 0],
  ] as const) {
    const f = new Fn(`conv2d_transpose_${layout}`);
    const x = f.input('float32', layout === 'NHWC' ? [1, 3, 4, 2] : [1, 2, 3, 4]);
    const w = f.weight('float32', [3, 3, 5, 2]);
    // Typed and parsed here; the numbers are checked against TensorFlow by the op conformance suite.
    cases.push({
      name: `conv2d_transpose_${layout}`,
      fn: f.finish(
        f.op({ kind: 'conv2d_transpose', args: [x, w], strides: [stride, stride], pads, outputPadding: [outPad, outPad], dataLayout: layout }),
      ),
    });
  }
  {
    const f = new Fn('conv3d');
    const x = f.input('float32', [1, 4, 5, 6, 2]);
    const w = f.weight('float32', [2, 3, 3, 2, 4]);
    cases.push({
      name: 'conv3d',
      fn: f.finish(f.op({ kind: 'conv3d', args: [x, w], strides: [1, 2, 2], dilations: [1, 1, 1], pads: [0, 1, 1, 1, 1, 1] })),
    });
  }
  {
    const f = new Fn('conv3d_transpose');
    const x = f.input('float32', [1, 3, 3, 4, 2]);
    const w = f.weight('float32', [3, 2, 3, 4, 2]);
    cases.push({
      name: 'conv3d_transpose',
      fn: f.finish(f.op({ kind: 'conv3d_transpose', args: [x, w], strides: [2, 2, 2], pads: [1, 0, 1, 1, 0, 1], outputPadding: [0, 1, 0] })),
    });
  }
  {
    // Typed and parsed here; the numbers are checked against TensorFlow by the op conformance suite.
    const f = new Fn('crop_and_resize');
    const x = f.input('uint8', [2, 5, 6, 3]);
    const boxes = f.input('float32', [4, 4]);
    const ind = f.input('int32', [4]);
    cases.push({
      name: 'crop_and_resize',
      fn: f.finish(f.op({ kind: 'crop_and_resize', args: [x, boxes, ind], size: [3, 4], method: 'bilinear', extrapolation: 0.5 })),
    });
  }
  for (const fn of ['max', 'avg'] as const) {
    cases.push(
      single(`pool3d_${fn}`, 'float32', [1, 5, 4, 3, 2], (f, x) =>
        f.op({ kind: 'pool3d', fn, args: [x], size: [2, 3, 2], strides: [2, 1, 2], pads: [0, 1, 0, 1, 1, 1] }),
      ),
    );
  }
  for (const [method, mode, rounding] of [
    ['linear', 'half_pixel', ''],
    ['nearest_neighbor', 'tf_half_pixel_for_nn', 'floor'],
    ['cubic', 'align_corners', ''],
  ] as const) {
    // Typed and parsed here; the numbers are checked against TensorFlow by the op conformance suite.
    cases.push(
      single(`resize2d_${method}`, 'float32', [1, 3, 4, 2], (f, x) =>
        f.op({ kind: 'resize2d', args: [x], size: [5, 7], method, mode, rounding, cubicAlpha: -0.5, cubicExclude: method === 'cubic' }),
      ),
    );
  }
  cases.push(
    ...(['all', 'any'] as ReduceFn[]).map((fn) =>
      single(
        `reduce_${fn}`,
        'bool',
        [2, 3, 4],
        (f, x) => f.op({ kind: 'reduce', fn, args: [x], axes: [1], keepDims: false }),
        `np.${fn}(a["in0"], axis=1)`,
      ),
    ),
  );
  return cases;
}

function allCases(): Case[] {
  const cases: Case[] = [
    ...UNARY_FNS.map((fn) => unaryCase(fn)),
    // float16 inverse trig runs in float32 (no LLVM intrinsic for half): parse and type only.
    ...(['asin', 'atanh', 'round'] as UnaryFn[]).map((fn) => unaryCase(fn, 'float16')),
    ...(['softplus', 'elu', 'selu', 'square'] as UnaryFn[]).flatMap((fn) => [unaryCase(fn, 'float64'), unaryCase(fn, 'float16')]),
    ...BINARY_FNS.map(binaryCase),
    ...(['floor_div', 'floor_mod', 'trunc_div', 'trunc_mod', 'left_shift', 'right_shift'] as BinaryFn[]).flatMap((fn) => [
      intBinaryCase(fn, 'int32'),
      intBinaryCase(fn, 'int64'),
    ]),
    intBinaryCase('logical_and', 'bool'),
    intBinaryCase('logical_or', 'bool'),
    single('unary_logical_not', 'bool', [2, 5], (f, x) => f.op({ kind: 'unary', fn: 'logical_not', args: [x] }), 'np.logical_not(a["in0"])'),
    ...indexingCases(),
    single('clip', 'float32', [2, 5], (f, x) => f.op({ kind: 'clip', args: [x], min: -0.5, max: 0.75 }), 'np.clip(a["in0"], -0.5, 0.75)'),
    single('clip_open_low', 'float32', [2, 5], (f, x) => f.op({ kind: 'clip', args: [x], min: -Infinity, max: 0.5 }), 'np.minimum(a["in0"], 0.5)'),
    single('clip_open_high', 'float32', [2, 5], (f, x) => f.op({ kind: 'clip', args: [x], min: -0.5, max: Infinity }), 'np.maximum(a["in0"], -0.5)'),
    single('clip_open', 'float32', [2, 5], (f, x) => f.op({ kind: 'clip', args: [x], min: -Infinity, max: Infinity }), 'a["in0"]'),
    single('clip_int32', 'int32', [2, 5], (f, x) => f.op({ kind: 'clip', args: [x], min: -10, max: 10 }), 'np.clip(a["in0"], -10, 10)'),
    single(
      'leaky_relu',
      'float32',
      [2, 5],
      (f, x) => f.op({ kind: 'leaky_relu', args: [x], alpha: 0.2 }),
      'np.where(a["in0"] > 0, a["in0"], np.float32(0.2) * a["in0"])',
    ),
    single('relu_int32', 'int32', [2, 5], (f, x) => f.op({ kind: 'unary', fn: 'relu', args: [x] }), 'np.maximum(a["in0"], 0)'),
    ...(['int32', 'float16', 'bool', 'int8', 'int64'] as DType[]).map((d) =>
      single(
        `cast_f32_${d}`,
        'float32',
        [2, 5],
        (f, x) => f.op({ kind: 'cast', args: [x], dtype: d }),
        d === 'float16' ? undefined : `a["in0"].astype("${d}")`,
      ),
    ),
    single('cast_i32_f32', 'int32', [2, 5], (f, x) => f.op({ kind: 'cast', args: [x], dtype: 'float32' }), 'a["in0"].astype("float32")'),
    (() => {
      const f = new Fn('bias_nchw');
      const x = f.input('float32', [1, 3, 4, 4]);
      const b = f.weight('float32', [3]);
      return {
        name: 'bias_add_axis1',
        fn: f.finish(f.op({ kind: 'bias_add', args: [x, b], axis: 1 })),
        ref: 'a["in0"] + a["w0"].reshape(1, 3, 1, 1)',
      };
    })(),
    (() => {
      const f = new Fn('bias_last');
      const x = f.input('float32', [2, 5]);
      const b = f.weight('float32', [5]);
      return { name: 'bias_add_axis_neg1', fn: f.finish(f.op({ kind: 'bias_add', args: [x, b], axis: -1 })), ref: 'a["in0"] + a["w0"]' };
    })(),
    single(
      'softmax',
      'float32',
      [2, 3, 4],
      (f, x) => f.op({ kind: 'softmax', args: [x], axis: -1, log: false }),
      'scipy.special.softmax(a["in0"], axis=-1)',
    ),
    single(
      'log_softmax_axis1',
      'float32',
      [2, 3, 4],
      (f, x) => f.op({ kind: 'softmax', args: [x], axis: 1, log: true }),
      'scipy.special.log_softmax(a["in0"], axis=1)',
    ),
    single('reshape', 'float32', [2, 3, 4], (f, x) => f.op({ kind: 'reshape', args: [x], shape: [4, 6] }), 'a["in0"].reshape(4, 6)'),
    single('reshape_scalar', 'float32', [1, 1], (f, x) => f.op({ kind: 'reshape', args: [x], shape: [] }), 'a["in0"].reshape(())'),
    single('transpose', 'float32', [2, 3, 4], (f, x) => f.op({ kind: 'transpose', args: [x], perm: [2, 0, 1] }), 'a["in0"].transpose(2, 0, 1)'),
    ...(['sum', 'mean', 'max', 'min', 'prod'] as ReduceFn[]).flatMap((fn) => [reduceCase(fn, [1], true), reduceCase(fn, [-1, 0], false)]),
    reduceCase('sum', [0, 1, 2], false),
    reduceCase('mean', [], false),
    poolCase('max', 'NHWC', [2, 2], [2, 2], [0, 0, 1, 0]),
    poolCase('avg', 'NHWC', [3, 3], [1, 1], [1, 1, 1, 1]),
    poolCase('max', 'NCHW', [3, 3], [2, 2], [1, 1, 1, 1]),
    poolCase('avg', 'NCHW', [2, 2], [2, 2], [0, 0, 1, 0]),
    (() => {
      const f = new Fn('concat3');
      const a = f.input('float32', [2, 3]);
      const b = f.input('float32', [2, 1]);
      const w = f.weight('float32', [2, 2]);
      return {
        name: 'concat3',
        fn: f.finish(f.op({ kind: 'concat', args: [a, b, w], axis: -1 })),
        ref: 'np.concatenate([a["in0"], a["in1"], a["w0"]], axis=-1)',
      };
    })(),
    single('concat1', 'float32', [2, 3], (f, x) => f.op({ kind: 'concat', args: [x], axis: 0 }), 'a["in0"]'),
    (() => {
      const f = new Fn('stack');
      const a = f.input('float32', [2, 3]);
      const b = f.input('float32', [2, 3]);
      return { name: 'stack_last', fn: f.finish(f.op({ kind: 'stack', args: [a, b], axis: -1 })), ref: 'np.stack([a["in0"], a["in1"]], axis=-1)' };
    })(),
    single('stack1', 'float32', [2, 3], (f, x) => f.op({ kind: 'stack', args: [x], axis: 0 }), 'a["in0"][None]'),
    padCase('float32', 'constant', 1.5),
    padCase('float16', 'constant', -2),
    padCase('float64', 'constant', 0.25),
    padCase('int8', 'constant', 3),
    padCase('uint8', 'constant', 7),
    padCase('int64', 'constant', -4),
    padCase('int32', 'constant', 9),
    padCase('bool', 'constant', 1),
    padCase('float32', 'reflect', 0),
    padCase('float32', 'symmetric', 0),
    single(
      'strided_slice',
      'float32',
      [4, 6],
      (f, x) => f.op({ kind: 'strided_slice', args: [x], begin: [0, 1], end: [3, 6], strides: [2, 2] }),
      'a["in0"][0:3:2, 1:6:2]',
    ),
    single(
      'strided_slice_reverse',
      'float32',
      [4, 6],
      (f, x) => f.op({ kind: 'strided_slice', args: [x], begin: [3, 5], end: [-1, 0], strides: [-1, -2] }),
      'a["in0"][3::-1, 5:0:-2]',
    ),
    convCase('conv_nhwc_same', 'NHWC', 'HWIO', 3, [3, 3, 3, 5], 1, [1, 1], [1, 1], [1, 1, 1, 1]),
    convCase('conv_nhwc_stride_asym', 'NHWC', 'HWIO', 3, [3, 2, 3, 4], 1, [2, 2], [1, 1], [0, 0, 1, 1]),
    convCase('conv_nhwc_dilated', 'NHWC', 'HWIO', 2, [3, 3, 2, 4], 1, [1, 1], [2, 2], [2, 2, 2, 2]),
    convCase('conv_nhwc_grouped', 'NHWC', 'HWIO', 4, [3, 3, 2, 6], 2, [1, 1], [1, 1], [1, 1, 1, 1]),
    convCase('conv_nhwc_depthwise', 'NHWC', 'HWOI', 3, [3, 3, 3, 2], 3, [1, 1], [1, 1], [1, 1, 1, 1]),
    convCase('conv_nhwc_depthwise_m1', 'NHWC', 'HWOI', 4, [3, 3, 4, 1], 4, [2, 2], [1, 1], [0, 0, 1, 1]),
    convCase('conv_nchw_hwio', 'NCHW', 'HWIO', 3, [3, 3, 3, 5], 1, [1, 1], [1, 1], [1, 1, 1, 1]),
    convCase('conv_nchw_depthwise', 'NCHW', 'HWOI', 3, [3, 3, 3, 2], 3, [1, 1], [1, 1], [1, 0, 1, 2]),
    ...matmulCases(),
  ];
  return cases;
}

// numpy references used by the cases (float64 math, compared with tolerance).
const PY_REFS = `
import numpy as np, scipy.special
def conv_nhwc(x, w, groups, strides, dil, pads):
    x = np.pad(x.astype(np.float64), ((0, 0), (pads[0], pads[2]), (pads[1], pads[3]), (0, 0)))
    n, h, wd, c = x.shape
    kh, kw, cig, co = w.shape
    cog = co // groups
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    oh, ow = (h - eh) // strides[0] + 1, (wd - ew) // strides[1] + 1
    out = np.zeros((n, oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * strides[0] : i * strides[0] + eh : dil[0], j * strides[1] : j * strides[1] + ew : dil[1], :]
            for g in range(groups):
                out[:, i, j, g * cog : (g + 1) * cog] = np.tensordot(
                    patch[..., g * cig : (g + 1) * cig], w[..., g * cog : (g + 1) * cog], axes=([1, 2, 3], [0, 1, 2]))
    return out
def pool_nhwc(x, fn, size, strides, pads):
    fill = -np.inf if fn == "max" else np.nan
    x = np.pad(x.astype(np.float64), ((0, 0), (pads[0], pads[2]), (pads[1], pads[3]), (0, 0)), constant_values=fill)
    n, h, w, c = x.shape
    oh, ow = (h - size[0]) // strides[0] + 1, (w - size[1]) // strides[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * strides[0] : i * strides[0] + size[0], j * strides[1] : j * strides[1] + size[1], :]
            out[:, i, j, :] = np.max(win, axis=(1, 2)) if fn == "max" else np.nanmean(win, axis=(1, 2))
    return out
`;

const PY_CHECK = `
import sys, json, traceback
import numpy as np
import tvm
from tvm import relay
${PY_TYPE_TO_JSON}
${PY_REFS}
req = json.load(sys.stdin)
target = req["target"]
res = {}
for case in req["cases"]:
    r = {}
    res[case["name"]] = r
    try:
        mod = relay.transform.InferType()(relay.parse(case["text"]))
        r["type"] = type_json(mod["main"].checked_type.ret_type)
    except Exception as e:
        r["error"] = str(e).strip().splitlines()[-1]
        continue
    if case.get("ref") is None:
        continue
    try:
        rng = np.random.RandomState(7)
        a = {}
        for p in mod["main"].params:
            t = p.checked_type
            shape = [int(d) for d in t.shape]
            if t.dtype.startswith("float"):
                if case.get("unit"):
                    v = rng.uniform(-0.95, 0.95, shape)
                elif case.get("positive"):
                    v = rng.uniform(1.1 if "acosh" in case["name"] else 0.1, 3, shape)
                else:
                    v = rng.normal(0, 2, shape)
            elif t.dtype == "bool":
                v = rng.randint(0, 2, shape)
            else:
                v = rng.randint(-50, 50, shape)
            a[p.name_hint] = np.asarray(v).astype(t.dtype)
        want = np.asarray(eval(case["ref"]))
        r["max_err"] = 0.0
        r["shape_ok"] = True
        # Convolutions also run through the worker's ConvertLayout (NHWC -> NCHW).
        for convert in ([False, True] if case["name"].startswith("conv") else [False]):
            m = mod
            if convert:
                with tvm.transform.PassContext(opt_level=3):
                    m = relay.transform.ConvertLayout({"nn.conv2d": ["NCHW", "default"]})(mod)
            f = relay.create_executor("graph", mod=m, target=target).evaluate()
            got = f(*[a[p.name_hint] for p in mod["main"].params]).numpy()
            r["shape_ok"] = r["shape_ok"] and list(got.shape) == list(want.shape)
            if not r["shape_ok"]:
                break
            if got.dtype == np.bool_ or want.dtype == np.bool_:
                err = float(np.sum(got.astype(bool) != want.astype(bool)))
            else:
                err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)) / (1 + np.abs(want.astype(np.float64))), initial=0))
            r["max_err"] = max(r["max_err"], err)
    except Exception as e:
        r["run_error"] = "".join(traceback.format_exception(e))[-600:]
print(json.dumps(res))
`;

interface CheckResult {
  type?: unknown;
  error?: string;
  max_err?: number;
  shape_ok?: boolean;
  run_error?: string;
}

function typeJson(ts: readonly TensorType[]): unknown {
  const one = (t: TensorType) => ({ dtype: t.dtype, shape: [...t.shape] });
  return ts.length === 1 ? one(ts[0]!) : ts.map(one);
}

describe('every op variant', () => {
  const cases = allCases();

  test('cases cover every IR op kind and are valid IR', () => {
    const kinds = new Set<OpKind>(cases.flatMap((c) => c.fn.body.map((i) => i.op.kind)));
    expect([...kinds].sort()).toEqual(Object.keys(LOWERINGS).sort());
    for (const c of cases) expect([c.name, verifyFunction(c.fn)]).toEqual([c.name, []]);
    const fns = new Set(cases.flatMap((c) => c.fn.body.map((i) => ('fn' in i.op ? `${i.op.kind}.${i.op.fn}` : ''))));
    for (const fn of [...UNARY_FNS, 'logical_not']) expect(fns).toContain(`unary.${fn}`);
    for (const fn of [...BINARY_FNS, 'left_shift', 'right_shift', 'logical_and', 'logical_or']) expect(fns).toContain(`binary.${fn}`);
  });

  test('parse in TVM, type as the IR says, and compute what numpy computes', async () => {
    const emitted = cases.map((c) => ({
      name: c.name,
      text: emitRelay(c.fn).text,
      ref: c.ref ?? null,
      positive: c.positive ?? false,
      unit: c.unit ?? false,
    }));
    const got = await runPython<Record<string, CheckResult>>(tc, PY_CHECK, { target: hostTarget(), cases: emitted });
    const problems: string[] = [];
    for (const c of cases) {
      const r = got[c.name];
      const emit = emitted.find((e) => e.name === c.name)!;
      if (!r) problems.push(`${c.name}: no result`);
      else if (r.error !== undefined) problems.push(`${c.name}: ${r.error}\n${emit.text}`);
      else {
        const want = typeJson(c.fn.results.map((id) => c.fn.body.find((i) => i.id === id)?.type ?? c.fn.params.find((p) => p.id === id)!.type));
        if (JSON.stringify(r.type) !== JSON.stringify(want))
          problems.push(`${c.name}: Relay types it ${JSON.stringify(r.type)}, IR ${JSON.stringify(want)}`);
        if (c.ref !== undefined) {
          if (r.run_error !== undefined) problems.push(`${c.name}: ${r.run_error}\n${emit.text}`);
          else if (!r.shape_ok || r.max_err === undefined || !(r.max_err < 1e-4)) {
            problems.push(`${c.name}: differs from numpy (max rel err ${r.max_err}, shape ok ${r.shape_ok})\n${emit.text}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('npy', () => {
  test('header is format 1.0, padded to 64 bytes, and round-trips', () => {
    const type = { dtype: 'float32' as const, shape: [2, 3] };
    const bytes = weightBytes(type, 3);
    const file = encodeNpy(type, bytes);
    expect(Array.from(file.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = file[8]! | (file[9]! << 8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(String.fromCharCode(file[10 + headerLen - 1]!)).toBe('\n');
    expect(decodeNpy(file)).toEqual({ type, bytes });
    expect(() => encodeNpy(type, bytes.subarray(1))).toThrow(/needs 24 bytes/);
  });

  test('numpy loads every dtype and shape as written', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-npy-'));
    try {
      const types: TensorType[] = [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float64', shape: [5] },
        { dtype: 'float16', shape: [] },
        { dtype: 'int32', shape: [1, 1, 2] },
        { dtype: 'int64', shape: [3] },
        { dtype: 'int8', shape: [4] },
        { dtype: 'uint8', shape: [2, 2] },
        { dtype: 'bool', shape: [3] },
      ];
      const files = types.map((t, i) => {
        const bytes = t.dtype === 'bool' ? new Uint8Array([1, 0, 1]) : weightBytes(t, i + 1);
        const p = path.join(dir, `t${i}.npy`);
        writeFileSync(p, encodeNpy(t, bytes));
        return { path: p, hex: Buffer.from(bytes).toString('hex') };
      });
      const got = await runPython<{ dtype: string; shape: number[]; hex: string }[]>(
        tc,
        `import sys, json, numpy as np
out = []
for f in json.load(sys.stdin):
    a = np.load(f["path"], allow_pickle=False)
    out.append({"dtype": str(a.dtype), "shape": list(a.shape), "hex": a.tobytes().hex()})
print(json.dumps(out))`,
        files,
      );
      expect(got).toEqual(types.map((t, i) => ({ dtype: t.dtype, shape: t.shape, hex: files[i]!.hex })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writeRelayFiles writes the text and one .npy per weight', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-files-'));
    try {
      const emitted = emitRelay(smallNet());
      const files = writeRelayFiles(dir, 'cluster_0', emitted);
      expect(readFileSync(files.relay, 'utf8')).toBe(emitted.text);
      expect(Object.keys(files.params)).toEqual(['w0', 'w1', 'w2']);
      for (const p of emitted.params) {
        expect(decodeNpy(readFileSync(files.params[p.name]!))).toEqual({ type: { dtype: p.type.dtype, shape: [...p.type.shape] }, bytes: p.bytes });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// One catalogue for every diagnostic tf2tvm prints. Each code is stable: tools
// and scripts match on it. A code is a fixed prefix and four digits; the first
// digit tells the family (1 bad input, 2 usage, 3 toolchain, 4 verification,
// 7 internal). Messages are built by functions with typed parameters, so a
// call site cannot forget a detail, and a duplicated code fails at load time.

export const ExitCode = {
  ok: 0,
  badInput: 1,
  usage: 2,
  toolchain: 3,
  verifyMismatch: 4,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Extra lines (e.g. the tail of a child process's stderr), shown after the message. */
  readonly detail?: string;
}

/** An error that ends a command: carries its code and the exit code to use. */
export class Tf2tvmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'Tf2tvmError';
  }
}

function familyExit(code: number): ExitCode {
  switch (Math.floor(code / 1000)) {
    case 1:
      return ExitCode.badInput;
    case 2:
      return ExitCode.usage;
    case 3:
      return ExitCode.toolchain;
    case 4:
      return ExitCode.verifyMismatch;
    default:
      return ExitCode.internal;
  }
}

const seen = new Set<number>();
function code(n: number): string {
  // The catalogue is still being built here, so errors.internal does not exist yet.
  if (seen.has(n)) throw new Tf2tvmError('TF2TVM7001', `internal error: duplicate diagnostic code ${n}`, ExitCode.internal);
  seen.add(n);
  return `TF2TVM${n}`;
}

function errorFactory<A extends unknown[]>(n: number, message: (...a: A) => string) {
  const c = code(n);
  const exit = familyExit(n);
  const make = (...a: A): Tf2tvmError => new Tf2tvmError(c, message(...a), exit);
  return Object.assign(make, { code: c });
}

function warningFactory<A extends unknown[]>(n: number, message: (...a: A) => string) {
  const c = code(n);
  const make = (...a: A): Diagnostic => ({ code: c, severity: 'warning', message: message(...a) });
  return Object.assign(make, { code: c });
}

export const errors = {
  // 1xxx: the input model or a value given for it is wrong.
  fileNotFound: errorFactory(1001, (path: string) => `model file not found: ${path}`),
  fileEmpty: errorFactory(1002, (path: string) => `model file is empty: ${path}`),
  notAGraphDef: errorFactory(
    1003,
    (path: string, why: string) => `not a binary TensorFlow GraphDef: ${path} (${why})`,
  ),
  savedModelDir: errorFactory(
    1004,
    (path: string) =>
      `${path} is a SavedModel folder, not a frozen GraphDef; freeze it first, e.g. with ` +
      `tensorflow.python.framework.convert_to_constants.convert_variables_to_constants_v2 on its ` +
      `serving function, and write graph_def.SerializeToString() to a .pb file`,
  ),
  isDirectory: errorFactory(1005, (path: string) => `expected a GraphDef file, got a folder: ${path}`),
  danglingInput: errorFactory(
    1006,
    (node: string, input: string) => `node '${node}' reads '${input}', which no node in the graph produces`,
  ),
  cycle: errorFactory(
    1007,
    (path: readonly string[]) =>
      `the graph has a cycle that is not a TensorFlow loop back edge: ${path.join(' -> ')}`,
  ),
  duplicateNode: errorFactory(1008, (name: string) => `two nodes are named '${name}'`),
  unknownInput: errorFactory(
    1010,
    (name: string, known: readonly string[]) =>
      `--shapes names '${name}', which is not a placeholder of the graph (placeholders: ${known.join(', ') || 'none'})`,
  ),
  shapeRank: errorFactory(
    1011,
    (name: string, given: string, graph: string) =>
      `shape ${given} for '${name}' contradicts the graph's shape ${graph} (rank differs)`,
  ),
  shapeDim: errorFactory(
    1012,
    (name: string, given: string, graph: string, dim: number) =>
      `shape ${given} for '${name}' contradicts the graph's shape ${graph} (dimension ${dim} is fixed)`,
  ),
  shapeMissing: errorFactory(
    1013,
    (name: string, graph: string) =>
      `placeholder '${name}' has unknown dimensions ${graph}; give them with --shapes "${name}=..."`,
  ),
  shapeConflict: errorFactory(
    1014,
    (node: string, why: string) => `shapes do not agree at node '${node}': ${why}`,
  ),
  badOutDir: errorFactory(1015, (path: string, why: string) => `cannot write output folder ${path}: ${why}`),
  outIsInput: errorFactory(1016, (path: string) => `the output folder ${path} would overwrite the input model`),
  attrMissing: errorFactory(
    1017,
    (node: string, op: string, attr: string) => `node '${node}' (${op}) has no attribute '${attr}'`,
  ),
  attrWrongKind: errorFactory(
    1018,
    (node: string, op: string, attr: string, expected: string, got: string) =>
      `node '${node}' (${op}): attribute '${attr}' must be ${expected}, but is ${got}`,
  ),
  attrIntRange: errorFactory(
    1019,
    (node: string, op: string, attr: string, value: string) =>
      `node '${node}' (${op}): attribute '${attr}' holds ${value}, beyond the integers tf2tvm reads exactly (2^53)`,
  ),

  // 2xxx: the command line itself is wrong.
  badShapesFlag: errorFactory(2001, (value: string, why: string) => `bad --shapes value '${value}': ${why}`),
  badFlag: errorFactory(2002, (flag: string, why: string) => `bad ${flag}: ${why}`),
  usage: errorFactory(2003, (message: string) => message),

  // 3xxx: the Python/TVM toolchain.
  toolchainMissing: errorFactory(3001, (what: string) => `Python toolchain not ready: ${what}; run scripts/setup-toolchain`),
  toolchainFailed: errorFactory(3002, (what: string) => `toolchain step failed: ${what}`),
  buildFailed: errorFactory(3003, (cluster: string, why: string) => `TVM build of cluster '${cluster}' failed: ${why}`),
  runtimeMissing: errorFactory(3004, (path: string) => `runtime op library not built: ${path}; run npm run setup`),
  unsupportedHost: errorFactory(3005, (what: string) => `tf2tvm does not run on this host: ${what}`),

  // 4xxx: verification.
  verifyMismatch: errorFactory(4001, (summary: string) => `rewritten graph differs from the original: ${summary}`),

  // 7xxx: a bug in tf2tvm.
  internal: errorFactory(7001, (message: string) => `internal error: ${message}`),
  irInvalid: errorFactory(7002, (pass: string, why: string) => `IR invalid after pass '${pass}': ${why}`),
};

export const warnings = {
  buildFailedKeptInTf: warningFactory(
    3101,
    (cluster: string, why: string, log: string) =>
      `TVM build of cluster '${cluster}' failed; its nodes stay in TensorFlow (${why}; full log: ${log})`,
  ),
};

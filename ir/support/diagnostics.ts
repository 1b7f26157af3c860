// One catalogue for every diagnostic tf2tvm prints. Each code is stable: tools
// and scripts match on it. A code is a fixed prefix and four digits; the first
// digit tells the family (1 bad input, 2 usage, 3 toolchain, 4 verification,
// 7 internal). Messages are built by functions with typed parameters, so a
// call site cannot forget a detail, and a duplicated code fails at load time.
// Each entry also says what it means and what to do about it: docs/diagnostics.md
// is generated from this file (npm run docs).

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

/** What a code means and what a user does about it, a sentence each. */
export interface DiagnosticDoc {
  readonly meaning: string;
  readonly action: string;
}

/** One catalogue entry as the docs list it. */
export interface CatalogueEntry extends DiagnosticDoc {
  readonly code: string;
  readonly severity: Severity;
  /** The exit code of the command it ends (a warning ends none: 0). */
  readonly exitCode: ExitCode;
}

function errorFactory<A extends unknown[]>(n: number, message: (...a: A) => string, doc: DiagnosticDoc) {
  const c = code(n);
  const exit = familyExit(n);
  const make = (...a: A): Tf2tvmError => new Tf2tvmError(c, message(...a), exit);
  const entry: CatalogueEntry = { code: c, severity: 'error', exitCode: exit, ...doc };
  return Object.assign(make, { code: c, entry });
}

function warningFactory<A extends unknown[]>(n: number, message: (...a: A) => string, doc: DiagnosticDoc) {
  const c = code(n);
  const make = (...a: A): Diagnostic => ({ code: c, severity: 'warning', message: message(...a) });
  const entry: CatalogueEntry = { code: c, severity: 'warning', exitCode: ExitCode.ok, ...doc };
  return Object.assign(make, { code: c, entry });
}

export const errors = {
  // 1xxx: the input model or a value given for it is wrong.
  fileNotFound: errorFactory(1001, (path: string) => `model file not found: ${path}`, {
    meaning: 'The model path given does not exist.',
    action: 'Check the path (a relative path is taken from the current folder).',
  }),
  fileEmpty: errorFactory(1002, (path: string) => `model file is empty: ${path}`, {
    meaning: 'The model file has no bytes.',
    action: 'Export the frozen GraphDef again; an interrupted write leaves an empty file.',
  }),
  notAGraphDef: errorFactory(1003, (path: string, why: string) => `not a binary TensorFlow GraphDef: ${path} (${why})`, {
    meaning: 'The file does not parse as a binary GraphDef protobuf.',
    action: 'Give a frozen binary GraphDef (.pb); text protos, SavedModels and checkpoints are not read.',
  }),
  savedModelDir: errorFactory(
    1004,
    (path: string) =>
      `${path} is a SavedModel folder, not a frozen GraphDef file; give it as the model of compile, inspect, tune, verify or bench, which freeze it (--signature, --tags)`,
    {
      meaning: 'A SavedModel folder was given where a GraphDef file is read.',
      action: 'Give the folder as the model argument of a command (they freeze it first), or freeze its serving function to a .pb yourself.',
    },
  ),
  isDirectory: errorFactory(1005, (path: string) => `expected a GraphDef file, got a folder: ${path}`, {
    meaning: 'A folder was given where a GraphDef file was expected.',
    action: 'Give the .pb file inside the folder.',
  }),
  danglingInput: errorFactory(1006, (node: string, input: string) => `node '${node}' reads '${input}', which no node in the graph produces`, {
    meaning: 'A node reads a tensor that no node of the graph produces.',
    action: 'Export the graph again; a pruned or hand-edited GraphDef can lose a producer.',
  }),
  cycle: errorFactory(1007, (path: readonly string[]) => `the graph has a cycle that is not a TensorFlow loop back edge: ${path.join(' -> ')}`, {
    meaning: 'The graph has a cycle that is not a TensorFlow loop back edge.',
    action: 'Export the graph again; TensorFlow cannot run such a graph either.',
  }),
  duplicateNode: errorFactory(1008, (name: string) => `two nodes are named '${name}'`, {
    meaning: 'Two nodes have the same name.',
    action: 'Export the graph again; node names are unique in a valid GraphDef.',
  }),
  unknownInput: errorFactory(
    1010,
    (name: string, known: readonly string[]) =>
      `--shapes names '${name}', which is not a placeholder of the graph (placeholders: ${known.join(', ') || 'none'})`,
    {
      meaning: '--shapes names something that is not a placeholder of the graph.',
      action: 'Use one of the placeholder names the message lists.',
    },
  ),
  shapeRank: errorFactory(
    1011,
    (name: string, given: string, graph: string) => `shape ${given} for '${name}' contradicts the graph's shape ${graph} (rank differs)`,
    {
      meaning: "A shape given with --shapes has another rank than the graph's placeholder.",
      action: 'Give as many dimensions as the placeholder has.',
    },
  ),
  shapeDim: errorFactory(
    1012,
    (name: string, given: string, graph: string, dim: number) =>
      `shape ${given} for '${name}' contradicts the graph's shape ${graph} (dimension ${dim} is fixed)`,
    {
      meaning: 'A shape given with --shapes changes a dimension the graph fixes.',
      action: "Keep the graph's fixed dimensions; give values only for the unknown ones.",
    },
  ),
  shapeMissing: errorFactory(
    1013,
    (name: string, graph: string) => `placeholder '${name}' has unknown dimensions ${graph}; give them with --shapes "${name}=..."`,
    {
      meaning: 'A placeholder has unknown dimensions and no shape was given for it.',
      action: 'Give its shape with --shapes "NAME=d0,d1,...".',
    },
  ),
  shapeConflict: errorFactory(1014, (node: string, why: string) => `shapes do not agree at node '${node}': ${why}`, {
    meaning: 'Shapes do not agree at a node (the given shapes and the graph contradict each other).',
    action: 'Check the --shapes values against what the model expects at the named node.',
  }),
  badOutDir: errorFactory(1015, (path: string, why: string) => `cannot write output folder ${path}: ${why}`, {
    meaning: 'The output folder cannot be created or written.',
    action: 'Choose a writable folder, or fix its permissions.',
  }),
  outIsInput: errorFactory(1016, (path: string) => `the output folder ${path} would overwrite the input model`, {
    meaning: 'The output folder would overwrite the input model.',
    action: 'Choose another output folder.',
  }),
  attrMissing: errorFactory(1017, (node: string, op: string, attr: string) => `node '${node}' (${op}) has no attribute '${attr}'`, {
    meaning: 'A node lacks an attribute its op requires.',
    action: 'Re-export the model with TensorFlow; a hand-edited or crafted GraphDef must give every required attribute.',
  }),
  attrWrongKind: errorFactory(
    1018,
    (node: string, op: string, attr: string, expected: string, got: string) =>
      `node '${node}' (${op}): attribute '${attr}' must be ${expected}, but is ${got}`,
    {
      meaning: 'An attribute holds a value of another kind than its op defines (e.g. an int where a string belongs).',
      action: 'Re-export the model with TensorFlow; the GraphDef does not match the op definition.',
    },
  ),
  attrIntRange: errorFactory(
    1019,
    (node: string, op: string, attr: string, value: string) =>
      `node '${node}' (${op}): attribute '${attr}' holds ${value}, beyond the integers tf2tvm reads exactly (2^53)`,
    {
      meaning: 'An integer attribute is beyond 2^53, which tf2tvm cannot read exactly.',
      action: 'Check the attribute: no real model needs such a value there.',
    },
  ),
  badTuningDb: errorFactory(1020, (file: string, why: string) => `tuning database ${file} cannot be read: ${why}`, {
    meaning: 'A --tuning-db file is not a tuning database tf2tvm wrote (or it is unreadable).',
    action: 'Point --tuning-db at a file written by tf2tvm tune, or at a new path to start one.',
  }),
  badShapeLog: errorFactory(1021, (path: string, line: number, why: string) => `bad --shapes-from file ${path}, line ${line}: ${why}`, {
    meaning:
      'A --shapes-from file is not a shape log as the bridge op writes it (TF2TVM_SHAPE_LOG): one JSON object per line with "cluster" and "inputs".',
    action:
      'Give the file TF2TVM_SHAPE_LOG wrote, unedited (blank lines are skipped); a line cut short by a killed process is the usual cause: delete it.',
  }),

  attrNotAllowed: errorFactory(
    1030,
    (node: string, op: string, attr: string, value: string, allowed: readonly string[]) =>
      `node '${node}' (${op}): attribute '${attr}' is ${value}, which ${op} does not allow (allowed: ${allowed.join(', ')})`,
    {
      meaning: "An attribute holds a value outside the ones TensorFlow's definition of the op allows (a dtype, a padding name).",
      action: 'Re-export the model with TensorFlow; TensorFlow refuses such a node too.',
    },
  ),
  attrBelowMinimum: errorFactory(
    1031,
    (node: string, op: string, attr: string, what: string, minimum: number) =>
      `node '${node}' (${op}): attribute '${attr}' is ${what}, below the minimum ${minimum} of ${op}'s definition`,
    {
      meaning: "An integer attribute (or a list's length) is below the minimum TensorFlow's definition of the op sets.",
      action: 'Re-export the model with TensorFlow; TensorFlow refuses such a node too.',
    },
  ),
  unknownDtype: errorFactory(
    1032,
    (node: string, attr: string, value: number) => `node '${node}': attribute '${attr}' holds dtype ${value}, which is no TensorFlow DataType`,
    {
      meaning: "A dtype (of an attribute or of a tensor) is not one of TensorFlow's DataType values.",
      action: 'The file is damaged or crafted: re-export the model with TensorFlow.',
    },
  ),
  attrNotInOpDef: errorFactory(
    1033,
    (node: string, op: string, attr: string) => `node '${node}' (${op}) has attribute '${attr}', which ${op}'s definition does not have`,
    {
      meaning: 'A node has an attribute its op does not define (TensorFlow refuses such a NodeDef); names starting with _ are exempt.',
      action: 'Re-export the model with the TensorFlow version tf2tvm uses (docs/toolchain.md), or remove the attribute.',
    },
  ),
  inputCount: errorFactory(
    1034,
    (node: string, op: string, got: number, expected: number) =>
      `node '${node}' (${op}) has ${got} data input${got === 1 ? '' : 's'}; ${op} takes ${expected} here`,
    {
      meaning: "A node has another number of data inputs than its op's definition and attributes (e.g. N) say.",
      action: 'Re-export the model with TensorFlow; a hand-edited GraphDef can lose or gain an input.',
    },
  ),
  badTensor: errorFactory(1035, (node: string, attr: string, why: string) => `node '${node}': tensor attribute '${attr}' ${why}`, {
    meaning:
      'A tensor stored in the graph contradicts its own shape or dtype (content of another size, more values than elements, a dtype unlike the node says).',
    action: 'The file is damaged or crafted: re-export the model with TensorFlow.',
  }),
  constantTooLarge: errorFactory(
    1036,
    (node: string, attr: string, bytes: string) =>
      `node '${node}': tensor attribute '${attr}' would take ${bytes} bytes, beyond the 2 GiB a constant may have`,
    {
      meaning: 'A constant would need more than 2 GiB once its values are expanded to its shape (no GraphDef can store such a constant in full).',
      action: 'The file is damaged or crafted; a real model keeps such data out of the graph.',
    },
  ),
  badShape: errorFactory(1037, (node: string, attr: string, why: string) => `node '${node}': shape in attribute '${attr}' ${why}`, {
    meaning: 'A shape stored in the graph is invalid: a dimension below -1, or dimensions whose product is beyond 2^53 elements.',
    action: 'The file is damaged or crafted: re-export the model with TensorFlow.',
  }),
  recursiveFunction: errorFactory(1038, (path: readonly string[]) => `the graph's function library is recursive: ${path.join(' -> ')}`, {
    meaning: "A function of the graph's library calls itself, directly or through others; TensorFlow's shape inference cannot take such a graph.",
    action: 'Re-export the model without the recursion (an unrolled loop, or a While op).',
  }),
  duplicateDefinition: errorFactory(1039, (where: string, what: string, name: string) => `${where} defines ${what} '${name}' twice`, {
    meaning: 'The function library defines a function twice, or a function defines an attribute or an argument twice; which one holds is undefined.',
    action: 'The file is damaged or crafted: re-export the model with TensorFlow.',
  }),
  tensorflowRefused: errorFactory(1040, (why: string) => `TensorFlow cannot import the graph: ${why}`, {
    meaning: "TensorFlow's own import of the graph (for its shape inference) refused it; the message is TensorFlow's.",
    action: 'The graph does not run in TensorFlow either: fix what the message names, or re-export the model.',
  }),
  outputOutOfRange: errorFactory(
    1041,
    (node: string, op: string, input: number, ref: string, producer: string, producerOp: string, outputs: number) =>
      `node '${node}' (${op}): input ${input} reads '${ref}', but '${producer}' (${producerOp}) has ${outputs} output${outputs === 1 ? '' : 's'}`,
    {
      meaning: "A node reads an output (name:k) beyond the outputs its producer's op has, by TensorFlow's definition and the producer's attributes.",
      action: 'Re-export the model with TensorFlow; TensorFlow refuses such an edge when it imports the graph.',
    },
  ),
  inputDtypeMismatch: errorFactory(
    1042,
    (node: string, op: string, input: number, ref: string, given: string, arg: string, wanted: string, attr: string | undefined) =>
      `node '${node}' (${op}): input ${input} reads '${ref}', a ${given} tensor, but argument '${arg}' takes ${wanted}` +
      (attr === undefined ? ` (fixed by ${op})` : ` (attribute '${attr}')`),
    {
      meaning: "A node reads a tensor of another dtype than its op's definition and its type attributes (e.g. T) say the input takes.",
      action: 'Re-export the model with TensorFlow; TensorFlow refuses such an edge when it imports the graph.',
    },
  ),
  // 1060-1079: models in other formats (SavedModel, text GraphDef, Keras).
  signatureAmbiguous: errorFactory(
    1060,
    (path: string, names: readonly string[]) =>
      `SavedModel ${path} has several signatures and none is serving_default; name one with --signature (signatures: ${names.join(', ')})`,
    {
      meaning: 'The SavedModel has several signatures, none of them serving_default, and no --signature was given.',
      action: 'Name the signature to compile with --signature NAME (the message lists them).',
    },
  ),
  signatureUnknown: errorFactory(
    1061,
    (path: string, name: string, names: readonly string[]) =>
      `SavedModel ${path} has no signature '${name}' (signatures: ${names.join(', ') || 'none'})`,
    {
      meaning: '--signature names a signature the SavedModel does not have.',
      action: 'Use one of the signatures the message lists.',
    },
  ),
  savedModelTags: errorFactory(
    1062,
    (path: string, tags: readonly string[], sets: readonly (readonly string[])[]) =>
      `SavedModel ${path} has no MetaGraph tagged ${tags.join(',')} (tag sets: ${sets.map((t) => t.join(',')).join('; ') || 'none'})`,
    {
      meaning: 'The SavedModel holds no MetaGraph with the tags given (--tags, default serve).',
      action: 'Give one of the tag sets the message lists with --tags a,b.',
    },
  ),
  modelUnloadable: errorFactory(1063, (path: string, format: string, why: string) => `cannot load ${format} ${path}: ${why}`, {
    meaning: 'TensorFlow (or Keras) cannot load the SavedModel or Keras file, or its signature cannot be frozen.',
    action: 'Check that the folder or file is complete (a SavedModel needs saved_model.pb and variables/) and loads with TensorFlow 2.18.',
  }),
  noSignatures: errorFactory(1064, (path: string) => `SavedModel ${path} has no signatures to compile`, {
    meaning: 'The SavedModel was saved without signatures, so there is no function with named inputs and outputs to compile.',
    action: 'Save it again with tf.saved_model.save(obj, dir, signatures=...) or give a frozen GraphDef.',
  }),
  badPbtxt: errorFactory(1065, (path: string, why: string) => `not a text-format TensorFlow GraphDef: ${path} (${why})`, {
    meaning: "A .pbtxt file does not parse as a text-format GraphDef (protobuf's text format, unknown fields refused).",
    action: 'Write it with text_format.MessageToString(graph_def) or tf.io.write_graph(..., as_text=True), or give the binary .pb.',
  }),
  notSavedModelFlag: errorFactory(1066, (flag: string, path: string) => `${flag} applies to a SavedModel, and ${path} is not one`, {
    meaning: '--signature or --tags was given for a model that is not a SavedModel folder.',
    action: 'Drop the flag, or give the SavedModel folder.',
  }),
  noSavedModelOut: errorFactory(1067, (out: string) => `${out} holds no saved_model/: it was compiled from a GraphDef, not a SavedModel`, {
    meaning: 'verify or bench got a SavedModel, but the output folder was compiled from a frozen GraphDef (no OUT/saved_model).',
    action: 'Give the GraphDef the folder was compiled from, or compile the SavedModel.',
  }),

  // 2xxx: the command line itself is wrong.
  badShapesFlag: errorFactory(2001, (value: string, why: string) => `bad --shapes value '${value}': ${why}`, {
    meaning: 'A --shapes value does not parse.',
    action: 'Write it as the message and tf2tvm COMMAND --help describe.',
  }),
  badFlag: errorFactory(2002, (flag: string, why: string) => `bad ${flag}: ${why}`, {
    meaning: 'A flag has a value outside what it takes.',
    action: 'See tf2tvm COMMAND --help for the values the flag takes.',
  }),
  usage: errorFactory(2003, (message: string) => message, {
    meaning: 'The command line does not name a valid command, argument or flag.',
    action: 'See tf2tvm --help.',
  }),

  // 3xxx: the Python/TVM toolchain.
  toolchainMissing: errorFactory(3001, (what: string) => `Python toolchain not ready: ${what}; run scripts/setup-toolchain`, {
    meaning: 'The Python environment with TensorFlow and TVM is not ready.',
    action: 'Run scripts/setup-toolchain; tf2tvm doctor shows what is missing.',
  }),
  toolchainFailed: errorFactory(3002, (what: string) => `toolchain step failed: ${what}`, {
    meaning: 'A Python step (TensorFlow or TVM) failed.',
    action: "Read the detail lines (the step's stderr); tf2tvm doctor checks the toolchain.",
  }),
  buildFailed: errorFactory(3003, (cluster: string, why: string) => `TVM build of cluster '${cluster}' failed: ${why}`, {
    meaning: 'TVM failed to build a cluster.',
    action: "Keep the cluster's ops in TensorFlow with --exclude-ops, and report the log.",
  }),
  runtimeMissing: errorFactory(3004, (path: string) => `runtime op library not built: ${path}; run npm run setup`, {
    meaning: 'The runtime op library TensorFlow loads for the bridge op is not built.',
    action: 'Run npm run setup.',
  }),
  unsupportedHost: errorFactory(3005, (what: string) => `tf2tvm does not run on this host: ${what}`, {
    meaning: 'The host lacks something tf2tvm needs to run at all (e.g. a little-endian CPU).',
    action: 'Run tf2tvm on a little-endian x86-64 or AArch64 host.',
  }),
  opLibraryMismatch: errorFactory(3006, (what: string) => `the tf2tvm op library does not match this TensorFlow: ${what}`, {
    meaning:
      'The op library (libtf2tvm_op.so) was built against another TensorFlow version or C++ ABI than the one loading it (recorded in libtf2tvm_op.json beside it); loading it would fail with an undefined symbol or worse.',
    action: 'Compile the model again with a tf2tvm whose toolchain has the TensorFlow that runs it, or run it with the TensorFlow the record names.',
  }),

  // 4xxx: verification.
  verifyMismatch: errorFactory(4001, (summary: string) => `rewritten graph differs from the original: ${summary}`, {
    meaning: 'The rewritten graph computes other values than the original.',
    action: "Report it with the model; meanwhile --exclude-ops on the differing cluster's ops keeps them in TensorFlow.",
  }),

  // 7xxx: a bug in tf2tvm.
  internal: errorFactory(7001, (message: string) => `internal error: ${message}`, {
    meaning: 'A bug in tf2tvm.',
    action: 'Report it with the command line and the model.',
  }),
  irInvalid: errorFactory(7002, (pass: string, why: string) => `IR invalid after pass '${pass}': ${why}`, {
    meaning: 'A pass produced invalid IR (found by --verify-ir).',
    action: 'Report it with the command line and the model.',
  }),
};

export const warnings = {
  onnxUnsupported: warningFactory(
    3110,
    (cluster: string, shapes: string, why: string) => `cluster '${cluster}' (${shapes}) is not exported to ONNX: ${why}`,
    {
      meaning: 'compile --emit onnx could not express a cluster in ONNX opset 18, so its .onnx file is not written.',
      action: 'Nothing is needed to run the output (the .so and model.pb are complete); the message names what ONNX lacks.',
    },
  ),
  buildFailedKeptInTf: warningFactory(
    3101,
    (cluster: string, why: string, log: string) =>
      `TVM build of cluster '${cluster}' failed; its nodes stay in TensorFlow (${why}; full log: ${log})`,
    {
      meaning: 'TVM failed to build a cluster, so the output keeps its nodes in TensorFlow.',
      action: 'Nothing is needed to run the output; read the log to see why, and report it if the ops should compile.',
    },
  ),
  busyMachine: warningFactory(
    3120,
    (load: number, cores: number, threads: number) =>
      `the machine is busy (load average ${load.toFixed(2)} on ${cores} cores) for measuring candidates on ${threads} thread${threads === 1 ? '' : 's'}: ` +
      'times will be noisy, fewer records will beat the untuned schedules, and those that do may not in a quiet run',
    {
      meaning: 'Other work was running when a tune started, so the candidates are timed on a shared machine.',
      action:
        'Tune on a quiet machine (or on a farm: --rpc-tracker); a database tuned on a busy one is safe to use (every record won an A/B by a margin) but gains less.',
    },
  ),
  ansorBuildFailed: warningFactory(
    3121,
    (artifact: string, reason: string) => `the auto-scheduler's records for ${artifact} did not build (${reason}): the artifact stays untuned`,
    {
      meaning:
        'A tune with --tuner ansor searched an artifact, but TVM could not build the artifact with the best records found; no verdict is recorded, so compile never applies them.',
      action:
        'Nothing is needed: the build stays untuned. Tune that model with --tuner autotvm, whose records apply per workload, or report the TVM error.',
    },
  ),
  noNativeFunction: warningFactory(
    3102,
    (cluster: string, why: string) =>
      `cluster '${cluster}' gets no TensorFlow fallback function; its bridge op fails where no artifact can run (${why})`,
    {
      meaning: "A cluster's subgraph could not be written as a function for the bridge op to fall back to.",
      action: 'Compile for every shape the model will see (--shapes, --batch, --shapes-from), or report the reason given.',
    },
  ),
};

/** Every catalogue entry, errors and warnings, in code order. */
export const CATALOGUE: readonly CatalogueEntry[] = [...Object.values(errors), ...Object.values(warnings)]
  .map((f) => f.entry)
  .sort((a, b) => a.code.localeCompare(b.code));

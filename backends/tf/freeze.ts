// Freezing models of other formats into the binary GraphDef tf2tvm reads, in
// a TensorFlow-only process (backends/tf/freeze.py): a SavedModel signature
// (variables to constants), a Keras file (batch left open), a text-format
// GraphDef (parsed strictly). Bad input comes back in the document.

import { runPythonStep } from '../python/step.js';
import { projectPath } from '../../ir/support/project.js';

export type FrozenKind = 'saved_model' | 'keras' | 'pbtxt';

/** One input of the model as its users name it, and the placeholder it became. */
export interface FrozenInput {
  readonly key: string;
  readonly placeholder: string;
  readonly dtype: string;
  /** -1: unknown dimension; null: unknown rank. */
  readonly shape: readonly number[] | null;
}

/** One output: the key users read it by, and the frozen graph's tensor. */
export interface FrozenOutput {
  readonly key: string;
  readonly tensor: string;
}

export interface Frozen {
  readonly ok: true;
  readonly kind: FrozenKind;
  readonly inputs: readonly FrozenInput[];
  readonly outputs: readonly FrozenOutput[];
  readonly signature?: string;
  readonly tags?: readonly string[];
  readonly signatures?: readonly string[];
}

export interface FreezeRefusal {
  readonly ok: false;
  readonly error: 'load' | 'tags' | 'no-signature' | 'signature-ambiguous' | 'signature-unknown' | 'pbtxt';
  readonly message: string;
  readonly signatures?: readonly string[];
  readonly tag_sets?: readonly (readonly string[])[];
}

export interface FreezeRequest {
  readonly kind: FrozenKind;
  readonly model: string;
  /** Where the binary GraphDef goes. */
  readonly out: string;
  readonly signature?: string;
  readonly tags?: readonly string[];
}

export async function freezeModel(req: FreezeRequest): Promise<Frozen | FreezeRefusal> {
  return runPythonStep<Frozen | FreezeRefusal>({
    script: projectPath('backends', 'tf', 'freeze.py'),
    args: [
      '--kind',
      req.kind,
      '--model',
      req.model,
      '--out',
      req.out,
      ...(req.signature !== undefined ? ['--signature', req.signature] : []),
      ...(req.tags !== undefined ? ['--tags', req.tags.join(',')] : []),
    ],
    what: `freezing ${req.kind === 'pbtxt' ? 'the text GraphDef' : req.kind === 'keras' ? 'the Keras model' : 'the SavedModel'}`,
  });
}

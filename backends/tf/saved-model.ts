// Writing OUT/saved_model/ (backends/tf/saved_model_write.py): the rewritten
// graph served under the original signature's name, input names and output
// keys, its artifacts as assets the bridge ops find from wherever the
// SavedModel is loaded.

import { runPythonStep } from '../python/step.js';
import { projectPath } from '../../ir/support/project.js';
import type { FrozenInput, FrozenOutput } from './freeze.js';

export interface SavedModelSpec {
  readonly signature: string;
  readonly inputs: readonly FrozenInput[];
  readonly outputs: readonly FrozenOutput[];
}

/** Writes OUT/saved_model from OUT/model.pb, OUT/manifest.json and OUT/runtime (all in `out` already). */
export async function writeSavedModel(out: string, spec: SavedModelSpec): Promise<{ path: string; assets: number }> {
  return runPythonStep<{ path: string; assets: number }>({
    script: projectPath('backends', 'tf', 'saved_model_write.py'),
    args: ['--out', out, '--spec', JSON.stringify(spec)],
    what: 'writing the SavedModel',
  });
}

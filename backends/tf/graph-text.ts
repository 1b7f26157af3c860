// A binary GraphDef written as protobuf text by TensorFlow's own printer
// (backends/tf/graph_text.py), for compile --emit-pbtxt.

import { runPythonStep } from '../python/step.js';
import { projectPath } from '../../ir/support/project.js';

export async function writeGraphText(graph: string, out: string): Promise<void> {
  await runPythonStep<{ ok: true }>({
    script: projectPath('backends', 'tf', 'graph_text.py'),
    args: ['--graph', graph, '--out', out],
    what: 'writing the text GraphDef',
  });
}

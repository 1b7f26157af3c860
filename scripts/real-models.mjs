// The real-model set of scripts/bench-models and scripts/bench-onnx: names of
// fixtures/generate_models.py (and the bundled conv_mlp), generated into the
// per-user cache (TF2TVM_MODELS_DIR, default ~/.cache/tf2tvm/models) when missing.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MODELS = ['conv_mlp', 'tf1_bmm', 'bert', 'bert_tanh', 'mobilenet_v2', 'resnet50', 'efficientnet_b0', 'inception_v3', 'densenet121'];

const modelsDir = process.env.TF2TVM_MODELS_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tf2tvm', 'models');

/** The toolchain's interpreter (scripts/setup-toolchain prints the environment). */
export function toolchainPython() {
  const venv = execFileSync(path.join(root, 'scripts', 'setup-toolchain'), { encoding: 'utf8' }).trim();
  return path.join(venv, 'bin', 'python');
}

/** A model name of the set (or a path to a .pb) -> its frozen GraphDef, generated if missing. */
export function modelPath(name) {
  if (name.endsWith('.pb')) return path.resolve(name);
  if (name === 'conv_mlp') return path.join(root, 'fixtures', 'models', 'conv_mlp', 'model.pb');
  const pb = path.join(modelsDir, name, 'model.pb');
  if (!existsSync(pb)) {
    execFileSync(toolchainPython(), [path.join(root, 'fixtures', 'generate_models.py'), '--out', modelsDir, '--only', name], {
      stdio: ['ignore', 2, 2],
    });
  }
  return pb;
}

#!/usr/bin/env bash
# The main job on the bundled model: compile it, then check the rewritten
# graph against TensorFlow.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model=fixtures/models/conv_mlp/model.pb
out=build/demo-out
echo "\$ tf2tvm compile $model -o $out" >&2
node bin/tf2tvm compile "$model" -o "$out"
echo "\$ tf2tvm verify $model $out" >&2
node bin/tf2tvm verify "$model" "$out"

// The op library's record of the TensorFlow it was built against
// (libtf2tvm_op.json, written by runtime/build.sh) and the loader's check
// of it before tf.load_op_library: a record naming another TensorFlow
// version or C++ ABI is refused with TF2TVM3006, by the loader and by the
// saved_model_cli wrapper, and the library is never loaded.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, type Toolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { tempDir } from '../helpers.js';

let tc: Toolchain;
const built = projectPath('build', 'runtime');

/** A runtime folder as compile writes it (OUT/runtime), with `record` as its version record. */
function runtimeFolder(record: object | undefined): string {
  const dir = tempDir('tf2tvm-record-');
  for (const f of ['libtf2tvm_op.so', 'libtvm_runtime.so']) copyFileSync(path.join(built, f), path.join(dir, f));
  for (const f of ['tf2tvm_runtime.py', 'saved_model_cli']) copyFileSync(projectPath('runtime', f), path.join(dir, f));
  if (record) writeFileSync(path.join(dir, 'libtf2tvm_op.json'), JSON.stringify(record));
  return dir;
}

const LOAD = `
import json, sys
import tensorflow as tf
sys.path.insert(0, sys.argv[1])
import tf2tvm_runtime
from tensorflow.python.framework import op_def_registry
try:
    tf2tvm_runtime.load_op_library()
    doc = {"loaded": True}
except tf2tvm_runtime.OpLibraryMismatch as e:
    doc = {"loaded": False, "error": str(e)}
doc["registered"] = op_def_registry.get("TF2TVMBridgeOp") is not None
print(json.dumps(doc))
`;

async function load(dir: string): Promise<{ loaded: boolean; registered: boolean; error?: string }> {
  const r = await execa(tc.python, ['-c', LOAD, dir], { reject: false, env: tc.env({ threads: 1 }) });
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
  return JSON.parse(String(r.stdout).trim().split('\n').pop() ?? 'null') as { loaded: boolean; registered: boolean; error?: string };
}

beforeAll(async () => {
  tc = await findToolchain();
});

test("build.sh records the toolchain's TensorFlow version and C++ ABI beside the op library", async () => {
  const record = JSON.parse(readFileSync(path.join(built, 'libtf2tvm_op.json'), 'utf8')) as Record<string, unknown>;
  expect(record.tensorflow).toBe(await tc.tensorflowVersion());
  const r = await execa(tc.python, ['-c', 'import tensorflow as tf; print(int(tf.sysconfig.CXX11_ABI_FLAG))'], { env: tc.env({ threads: 1 }) });
  expect(record.cxx11_abi).toBe(Number(String(r.stdout).trim()));
});

test('a matching record loads the library', async () => {
  const record = JSON.parse(readFileSync(path.join(built, 'libtf2tvm_op.json'), 'utf8')) as object;
  expect(await load(runtimeFolder(record))).toEqual({ loaded: true, registered: true });
});

test('another TensorFlow version is refused before the library is loaded', async () => {
  const record = JSON.parse(readFileSync(path.join(built, 'libtf2tvm_op.json'), 'utf8')) as Record<string, unknown>;
  const r = await load(runtimeFolder({ ...record, tensorflow: '2.99.0' }));
  expect(r.loaded).toBe(false);
  expect(r.registered).toBe(false);
  expect(r.error).toContain('error TF2TVM3006');
  expect(r.error).toContain(`built for TensorFlow 2.99.0, loaded into TensorFlow ${await tc.tensorflowVersion()}`);
});

test('another C++ ABI is refused, and the saved_model_cli wrapper refuses it too (exit 3)', async () => {
  const record = JSON.parse(readFileSync(path.join(built, 'libtf2tvm_op.json'), 'utf8')) as Record<string, number>;
  const dir = runtimeFolder({ ...record, cxx11_abi: 1 - record.cxx11_abi! });
  const r = await load(dir);
  expect(r.loaded).toBe(false);
  expect(r.error).toMatch(/built with _GLIBCXX_USE_CXX11_ABI=\d, this TensorFlow uses _GLIBCXX_USE_CXX11_ABI=\d/);
  const cli = await execa(tc.python, [path.join(dir, 'saved_model_cli'), 'show', '--dir', dir], { reject: false, env: tc.env({ threads: 1 }) });
  expect(cli.exitCode).toBe(3);
  expect(String(cli.stderr)).toContain('error TF2TVM3006: the tf2tvm op library does not match this TensorFlow');
});

// The runtime op's own test (test/runtime/bridge_op_test.py): artifact
// selection, sha256, path resolution, zero-copy and aliasing, the loader.
// It builds tiny TVM libraries and runs them through TF2TVMBridgeOp in TF.

import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { tempDir } from '../helpers.js';

test('bridge op test script passes', async () => {
  const tc = await findToolchain();
  const r = await execa(tc.python, [projectPath('test', 'runtime', 'bridge_op_test.py')], {
    cwd: projectPath(),
    env: { ...tc.env(), TF2TVM_TEST_WORK: tempDir('tf2tvm-runtime-'), TF2TVM_TEST_PREBUILT: projectPath('build', 'runtime') },
    reject: false,
    stdin: 'ignore',
  });
  const out = `${String(r.stdout)}\n${String(r.stderr)}`;
  expect({ exitCode: r.exitCode, tail: out.split('\n').slice(-30).join('\n') }).toMatchObject({ exitCode: 0 });
  expect(out).toMatch(/(\d+) of \1 checks passed/);
});

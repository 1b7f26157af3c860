// tf2tvm doctor: what the toolchain has, and exactly what is missing.

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { findToolchain } from '../../../backends/python/toolchain.js';
import { projectPath } from '../../../ir/support/project.js';
import { printJson, runCommand } from '../output.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('report the Python, TVM and TensorFlow versions found, and what is missing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { json?: boolean }) => {
      await runCommand(Boolean(o.json), async () => {
        const tc = await findToolchain();
        const runtime = projectPath('build', 'runtime', 'libtf2tvm_op.so');
        const report = {
          ok: existsSync(runtime),
          python: tc.python,
          tvm: await tc.tvmVersion(),
          tensorflow: await tc.tensorflowVersion(),
          runtime_op: existsSync(runtime) ? runtime : null,
          missing: existsSync(runtime) ? [] : [`runtime op library (${runtime}): run npm run setup`],
        };
        if (o.json) printJson(report);
        else {
          process.stdout.write(
            `python      ${report.python}\ntvm         ${report.tvm}\ntensorflow  ${report.tensorflow}\nruntime op  ${report.runtime_op ?? 'MISSING: run npm run setup'}\n`,
          );
        }
        return report.ok ? 0 : 3;
      });
    });
}

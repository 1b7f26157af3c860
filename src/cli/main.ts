// tf2tvm's command line: one module per command under commands/.

import { Command, CommanderError } from 'commander';
import { errors } from '../../ir/support/diagnostics.js';
import { installInterruptHandlers } from '../../ir/support/interrupt.js';
import { VERSION } from '../../ir/support/project.js';
import { printJson } from './output.js';
import { registerBench } from './commands/bench.js';
import { registerCache } from './commands/cache.js';
import { registerCompile } from './commands/compile.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInspect } from './commands/inspect.js';
import { registerProfile } from './commands/profile.js';
import { registerTune } from './commands/tune.js';
import { registerVerify } from './commands/verify.js';

// `tf2tvm inspect ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// SIGINT/SIGTERM stop the workers, remove the staging folder, exit 130/143.
installInterruptHandlers();

// Under --json a usage error is a JSON document on stdout like any other
// error (the text still goes to stderr).
const wantsJson = process.argv.slice(2).includes('--json');

const program = new Command();
program
  .name('tf2tvm')
  .description('Ahead-of-time compiler that runs the compute-heavy parts of a frozen TensorFlow graph with Apache TVM')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
  // Usage errors carry their stable code like every other diagnostic.
  .configureOutput({
    outputError: (str, write) => write(str.replace(/^error: /, `error ${errors.usage.code}: `)),
  });

registerCompile(program);
registerTune(program);
registerVerify(program);
registerBench(program);
registerProfile(program);
registerInspect(program);
registerDoctor(program);
registerCache(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; every other commander error is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    if (e.exitCode !== 0 && wantsJson) {
      printJson({ ok: false, error: { code: errors.usage.code, message: e.message.replace(/^error: /, '') } });
    }
  } else throw e;
}

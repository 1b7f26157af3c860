// tf2tvm profile OUT: where the time goes inside each compiled cluster.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { runPythonStep } from '../../../backends/python/step.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { projectPath } from '../../../ir/support/project.js';
import { positiveInt } from '../options.js';
import { printJson, runCommand } from '../output.js';

interface OpTime {
  name?: string;
  kind?: string;
  calls: number;
  ms: number;
  share: number;
  shapes?: string;
}

export interface ProfileReport {
  ok: boolean;
  out: string;
  runs: number;
  threads: number;
  artifacts: { cluster: string; shapes: string; path: string; total_ms?: number; ops?: OpTime[]; groups?: OpTime[]; error?: string }[];
}

interface Flags {
  runs: number;
  top: number;
  json?: boolean;
}

export async function profile(out: string, o: Flags): Promise<ProfileReport> {
  try {
    JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  } catch {
    throw errors.badOutDir(out, 'no readable manifest.json: is this a tf2tvm compile output?');
  }
  return runPythonStep<ProfileReport>({
    script: projectPath('backends', 'tvm', 'profile.py'),
    args: ['--out', out, '--runs', String(o.runs), '--top', String(o.top)],
    what: 'profiling',
    threads: 1,
  });
}

function profileTable(r: ProfileReport): string {
  const lines = [`${r.out}: TVM's debug executor, ${r.runs} runs, one thread (shares are what to read; tf2tvm bench times a call)`];
  for (const a of r.artifacts) {
    lines.push('', `${a.cluster} ${a.shapes}${a.total_ms !== undefined ? `: ${a.total_ms.toFixed(2)} ms on one thread` : ''}`);
    if (a.error) {
      lines.push(`  FAILED: ${a.error.split('\n')[0]}`);
      continue;
    }
    lines.push('  by kind of fused operator:');
    for (const g of a.groups ?? [])
      lines.push(`  ${(g.share * 100).toFixed(1).padStart(5)}%  ${g.ms.toFixed(3).padStart(9)} ms  x${String(g.calls).padEnd(4)} ${g.kind}`);
    lines.push('  slowest operators:');
    for (const op of a.ops ?? [])
      lines.push(`  ${(op.share * 100).toFixed(1).padStart(5)}%  ${op.ms.toFixed(3).padStart(9)} ms  ${op.name}  ${op.shapes ?? ''}`);
  }
  return lines.join('\n') + '\n';
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description("time every fused operator of each compiled cluster (TVM's debug executor, random inputs)")
    .argument('<out>', 'the output folder of tf2tvm compile')
    .option('--runs <n>', 'profiled runs per artifact (medians are reported)', positiveInt, 5)
    .option('--top <n>', 'operators and kinds listed per artifact', positiveInt, 15)
    .option('--json', 'print one JSON document on stdout')
    .action(async (out: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        const r = await profile(out, o);
        if (o.json) printJson(r);
        else process.stdout.write(profileTable(r));
        if (!r.ok) {
          const e = errors.toolchainFailed(
            `profile incomplete: ${r.artifacts
              .filter((a) => a.error)
              .map((a) => `${a.cluster} (${a.shapes})`)
              .join(', ')} failed`,
          );
          process.stderr.write(`error ${e.code}: ${e.message}\n`);
          return e.exitCode;
        }
        return 0;
      });
    });
}

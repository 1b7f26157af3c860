// tf2tvm cache --size | --prune [--max-size N]: keep the build cache in bounds.

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { BuildCache, defaultCacheDir } from '../../cache.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { printJson, runCommand } from '../output.js';

function bytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 500M or 2G');
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * scale);
}

const human = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 10).toFixed(1)} KiB`;

export function registerCache(program: Command): void {
  program
    .command('cache')
    .description('report or prune the content-addressed build cache')
    .option('--cache-dir <dir>', 'the cache folder', defaultCacheDir())
    .option('--size', 'print how many artifacts and bytes the cache holds')
    .option('--prune', 'remove least recently used artifacts down to --max-size (default: everything)')
    .option('--max-size <size>', 'size to prune down to, e.g. 2G', bytes, 0)
    .option('--json', 'print one JSON document on stdout')
    .action(async (o: { cacheDir: string; size?: boolean; prune?: boolean; maxSize: number; json?: boolean }) => {
      await runCommand(Boolean(o.json), async () => {
        if (!o.size && !o.prune) throw errors.usage('give --size or --prune');
        const cache = new BuildCache(o.cacheDir);
        const pruned = o.prune ? cache.prune(o.maxSize) : undefined;
        const size = cache.size();
        if (o.json)
          printJson({
            ok: true,
            dir: o.cacheDir,
            files: size.files,
            bytes: size.bytes,
            ...(pruned ? { removed: pruned.removed, freed_bytes: pruned.freed } : {}),
          });
        else {
          if (pruned) process.stdout.write(`removed ${pruned.removed} artifacts, freed ${human(pruned.freed)}\n`);
          process.stdout.write(`${o.cacheDir}: ${size.files} artifacts, ${human(size.bytes)}\n`);
        }
        return 0;
      });
    });
}

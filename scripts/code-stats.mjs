#!/usr/bin/env node
// Code size figures for reviews: import arrows between top-level folders, the
// largest files and the largest functions (TypeScript, by lines), over the
// project's own sources (tests excluded). Usage: node scripts/code-stats.mjs [--top N]

import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 10;
const files = execSync('git ls-files', { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /^(src|passes|ir|backends|runtime)\//.test(f) && /\.(ts|py|cc|h)$/.test(f));

const arrows = new Map();
const functions = [];
const sizes = [];
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  sizes.push([text.split('\n').length - (text.endsWith('\n') ? 1 : 0), f]);
  if (!f.endsWith('.ts')) continue;
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.ES2022, true);
  const visit = (node, owner) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const spec = node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : '';
      if (spec.startsWith('.')) {
        const to = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec)).split('/')[0];
        const from = f.split('/')[0];
        if (to !== from) arrows.set(`${from} -> ${to}`, (arrows.get(`${from} -> ${to}`) ?? 0) + 1);
      }
    }
    let name = owner;
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
      const id =
        node.name && ts.isIdentifier(node.name)
          ? node.name.text
          : ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
            ? node.parent.name.text
            : undefined;
      if (id) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        functions.push([end - start + 1, `${f}:${start + 1} ${id}`]);
        name = id;
      }
    }
    ts.forEachChild(node, (c) => visit(c, name));
  };
  visit(sf, undefined);
}
console.log('import arrows between top-level folders:');
for (const [k, v] of [...arrows].sort()) console.log(`  ${k}: ${v}`);
console.log(`\nlargest files (lines):`);
for (const [n, f] of sizes.sort((a, b) => b[0] - a[0]).slice(0, top)) console.log(`  ${String(n).padStart(5)}  ${f}`);
console.log(`\nlargest TypeScript functions (lines):`);
for (const [n, f] of functions.sort((a, b) => b[0] - a[0]).slice(0, top)) console.log(`  ${String(n).padStart(5)}  ${f}`);

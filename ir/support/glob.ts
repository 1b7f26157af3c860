// Node-name globs for --exclude-nodes: `*` matches within one name scope (it
// stops at `/`), `**` crosses scopes, `?` is one character other than `/`.

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globMatcher(globs: readonly string[]): (name: string) => boolean {
  const res = globs.map(globToRegExp);
  return (name) => res.some((r) => r.test(name));
}

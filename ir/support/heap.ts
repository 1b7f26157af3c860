// A binary heap with a comparator, for the stable topological orders of the
// graph view and the report layout (ties broken by the comparator, so orders
// depend only on the graph).

import { errors } from './diagnostics.js';

export class Heap<T> {
  private readonly a: T[] = [];

  constructor(private readonly compare: (p: T, q: T) => number) {}

  get size(): number {
    return this.a.length;
  }

  push(x: T): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.compare(a[p]!, a[i]!) <= 0) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): T {
    const a = this.a;
    if (a.length === 0) throw errors.internal('pop from an empty heap');
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.compare(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.compare(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

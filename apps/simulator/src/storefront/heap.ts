export interface Timed {
  t: number;
  seq: number;
}

/** Binary min-heap ordered by (t, seq): ties resolve in insertion order, so runs are reproducible. */
export class MinHeap<T extends Timed> {
  private readonly a: T[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(x: T): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = a[p];
      if (!less(x, pa)) break;
      a[i] = pa;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r], a[l])) c = r;
      const ca = a[c];
      if (!less(ca, last)) break;
      a[i] = ca;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function less(x: Timed, y: Timed): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

/**
 * Connected components of identities: identities seen together in one record are linked.
 * Union-find with path halving; used per ingest chunk before merging with stored graphs.
 */
export class DisjointSets {
  private parent = new Map<string, string>();

  add(x: string): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }

  find(x: string): string {
    this.add(x);
    for (;;) {
      const p = this.parent.get(x)!;
      if (p === x) return x;
      const gp = this.parent.get(p)!;
      this.parent.set(x, gp);
      x = gp;
    }
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }

  /** Every member grouped by root; roots are the smallest member, so the result is deterministic. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const x of [...this.parent.keys()].sort()) {
      const r = this.find(x);
      const g = out.get(r);
      if (g) g.push(x);
      else out.set(r, [x]);
    }
    return out;
  }
}

/** Components of a list of identity sets (one per record). */
export function linkRecords(records: string[][]): Map<string, string[]> {
  const ds = new DisjointSets();
  for (const ids of records) {
    ids.forEach((id) => ds.add(id));
    for (let i = 1; i < ids.length; i++) ds.union(ids[0], ids[i]);
  }
  return ds.groups();
}

import { identityKey } from '../../domain/identity/namespaces';
import type { Stores } from '../../infra/mongo/stores';
import type { HeldLease } from '../../infra/mongo/lease';
import type { KnownIdentity } from '../../infra/mongo/identity.repo';
import type { Graph } from '../../domain/identity/graph';

/** Above this many identities the cache is not primed, or is dropped (about 150 bytes each in memory). */
const PRIME_LIMIT = 3_000_000;

/**
 * What one writer knows of a sandbox's identity graph: identity key → graph id (members and links
 * are read from the graph documents, by id). Valid only while this writer is the sole writer: the graph lease tells it whether
 * somebody else wrote since it last held the lease, and if so the cache is dropped.
 *
 * When `complete`, a key missing from the cache is known not to exist, so a chunk of new people
 * needs no lookup at all. On FerretDB (every non-`_id` query scans the collection) this is what
 * keeps ingestion linear: the cache is primed from one read of the sandbox's identities (one scan,
 * where a lookup of K keys costs about K scans), again after another writer held the lease. On
 * MongoDB indexed lookups are cheap and the cache only remembers what this writer saw and wrote.
 */
export class GraphCache {
  private graphOf = new Map<string, string>();
  private writerOf = new Map<string, string>();
  private complete = false;
  private tooBig = false;
  constructor(private readonly prime: boolean) {}

  private lastEpoch?: number;

  /**
   * Call on every lease acquisition: forgets everything unless this cache's writer was the last to
   * hold the lease (consecutive epochs: nobody, not even another attempt under the same name, wrote in between).
   */
  onLease(held: HeldLease): void {
    const continuous = this.lastEpoch !== undefined && held.epoch === this.lastEpoch + 1;
    this.lastEpoch = held.epoch;
    if (!continuous) this.forget();
  }

  private forget() {
    this.graphOf.clear();
    this.writerOf.clear();
    this.complete = false;
  }

  /** Graph (and first writer) of the known keys among `keys`, looking up only what the cache cannot answer. */
  async lookup(stores: Stores, sandbox: string, keys: string[]): Promise<Map<string, KnownIdentity>> {
    if (!this.complete && this.prime && !this.tooBig) await this.primeFrom(stores, sandbox);
    const out = new Map<string, KnownIdentity>();
    const unknown: string[] = [];
    for (const k of keys) {
      const g = this.graphOf.get(k);
      if (g) out.set(k, { graphId: g, writer: this.writerOf.get(k) });
      else if (!this.complete) unknown.push(k);
    }
    if (unknown.length) for (const [k, v] of await stores.identities.lookup(sandbox, unknown)) out.set(k, v);
    return out;
  }

  /** Records what a write did: every member of the graphs it wrote now belongs to that graph. */
  applied(changed: Graph[], writer?: string): void {
    for (const g of changed) {
      for (const m of g.members) {
        if (writer && !this.graphOf.has(m.k)) this.writerOf.set(m.k, writer);
        this.graphOf.set(m.k, g.id);
      }
    }
    if (this.graphOf.size > PRIME_LIMIT) {
      this.forget();
      this.tooBig = true;
    }
  }

  private async primeFrom(stores: Stores, sandbox: string) {
    const n = await stores.identities.coll.estimatedDocumentCount();
    if (n > PRIME_LIMIT && (await stores.identities.coll.countDocuments({ sandbox })) > PRIME_LIMIT) {
      this.tooBig = true;
      return;
    }
    this.forget();
    for await (const d of stores.identities.coll.find({ sandbox }, { projection: { ns: 1, id: 1, graphId: 1, writer: 1 } })) {
      const k = identityKey(d.ns, d.id);
      this.graphOf.set(k, d.graphId);
      if (d.writer) this.writerOf.set(k, d.writer);
    }
    this.complete = true;
  }
}

import type { Collection, Db } from 'mongodb';

export interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: number;
  /** Bumped by every holder: a writer that sees the value it left knows nobody wrote in between. */
  epoch: number;
}

export interface HeldLease {
  /** Owner whose lease had expired when this one took over (it died mid-write), if any. */
  tookOverFrom?: string;
  /** Epoch when acquired; `lastEpoch === epoch - 1` and the previous holder was me ⇒ nothing changed since. */
  epoch: number;
  previousOwner?: string;
}

/**
 * A lease (expiring lock) in a plain collection, for servers without transactions (FerretDB):
 * serialises the writers of one key, e.g. the identity graph of a sandbox. Acquired by insert or
 * by taking over an expired lease; renewed while held; a holder that dies lets the lease expire
 * and the next holder learns whose half-done writes it must recover.
 */
export class Leases {
  private readonly coll: Collection<LeaseDoc>;
  constructor(db: Db, private readonly ttlMs = 60_000, private readonly pollMs = 50) {
    this.coll = db.collection<LeaseDoc>('leases');
  }

  async acquire(key: string, owner: string, now: () => number = Date.now): Promise<HeldLease> {
    for (let wait = this.pollMs; ; wait = Math.min(wait * 2, 1000)) {
      const t = now();
      const prev = await this.coll.findOneAndUpdate(
        { _id: key, $or: [{ expiresAt: { $lt: t } }, { owner }] },
        { $set: { owner, expiresAt: t + this.ttlMs }, $inc: { epoch: 1 } },
        { returnDocument: 'before' },
      );
      if (prev) {
        const expired = prev.owner !== owner && prev.expiresAt < t && prev.expiresAt > 0;
        return { epoch: prev.epoch + 1, previousOwner: prev.owner, tookOverFrom: expired ? prev.owner : undefined };
      }
      try {
        await this.coll.insertOne({ _id: key, owner, expiresAt: t + this.ttlMs, epoch: 1 });
        return { epoch: 1 };
      } catch (e) {
        if ((e as { code?: number }).code !== 11000) throw e;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Releases (expiresAt 0 marks a clean release, not a crash). */
  async release(key: string, owner: string): Promise<void> {
    await this.coll.updateOne({ _id: key, owner }, { $set: { expiresAt: 0 } });
  }

  async renew(key: string, owner: string, now: () => number = Date.now): Promise<void> {
    await this.coll.updateOne({ _id: key, owner }, { $set: { expiresAt: now() + this.ttlMs } });
  }

  /** Runs `fn` holding the lease, renewing it every third of its lifetime. */
  async with<T>(key: string, owner: string, fn: (held: HeldLease) => Promise<T>): Promise<T> {
    const held = await this.acquire(key, owner);
    const timer = setInterval(() => void this.renew(key, owner).catch(() => undefined), this.ttlMs / 3);
    try {
      return await fn(held);
    } finally {
      clearInterval(timer);
      await this.release(key, owner);
    }
  }
}

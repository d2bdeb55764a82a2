import type { Db } from 'mongodb';
import { FIRST_CUSTOM_NAMESPACE_ID, NAMESPACE_CODE, STANDARD_NAMESPACES, findNamespace, idTypeOf } from '../../domain/identity/namespaces';
import type { CustomNamespaceDoc, Namespace } from '../../domain/identity/namespaces';
import { DomainError } from '../../domain/shared/errors';
import type { Stores } from '../mongo/stores';

/**
 * The identity namespaces of a sandbox: AEP's standard ones and the custom ones it created
 * (collection `namespaces`). Reads are cached per process for a few seconds; this process's own
 * writes drop the cache at once, other processes (workers) see them within CACHE_MS.
 */
const CACHE_MS = 5_000;
const cache = new WeakMap<Db, Map<string, { at: number; value: Promise<Namespace[]> }>>();

const toNamespace = ({ nsId, id: _key, ...rest }: CustomNamespaceDoc): Namespace => ({ ...rest, id: nsId });
/** The per-sandbox counter custom ids are drawn from; it has no `sandbox` field, so listing never shows it. */
const counterId = (sandbox: string) => `${sandbox}:#next-namespace-id`;

async function load(stores: Stores, sandbox: string): Promise<Namespace[]> {
  const { items } = await stores.namespaces.list(sandbox, {}, { limit: 10_000 });
  return [...STANDARD_NAMESPACES, ...items.map(toNamespace).sort((a, b) => a.id - b.id)];
}

/** Standard and custom namespaces of a sandbox (custom ones by id). */
export function sandboxNamespaces(stores: Stores, sandbox: string): Promise<Namespace[]> {
  let bySandbox = cache.get(stores.db);
  if (!bySandbox) cache.set(stores.db, (bySandbox = new Map()));
  const hit = bySandbox.get(sandbox);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = load(stores, sandbox);
  const entry = { at: Date.now(), value };
  bySandbox.set(sandbox, entry);
  void value.catch(() => bySandbox.get(sandbox) === entry && bySandbox.delete(sandbox));
  return value;
}

export const invalidateNamespaces = (stores: Stores, sandbox: string): void => void cache.get(stores.db)?.delete(sandbox);

/** A namespace of the sandbox by numeric id or by code (case-insensitive). */
export async function getNamespace(stores: Stores, sandbox: string, idOrCode: string | number): Promise<Namespace | undefined> {
  const all = await sandboxNamespaces(stores, sandbox);
  const s = String(idOrCode);
  return /^\d+$/.test(s) ? all.find((n) => n.id === Number(s)) : findNamespace(all, s);
}

export interface NewNamespace { name: string; code: string; description?: string; idType: string }

/**
 * Creates a custom namespace. Codes are unique case-insensitively among standard and custom ones
 * (the stored `_id` is the lower-cased code, so two racing creates cannot both win); ids come from
 * an atomic per-sandbox counter starting at 1,000,000.
 */
export async function createCustomNamespace(stores: Stores, sandbox: string, input: NewNamespace, now: number): Promise<Namespace> {
  const name = input.name.trim();
  if (!name) throw new DomainError('UNPROCESSABLE', 'name: a namespace needs a non-blank name', 'name');
  if (!NAMESPACE_CODE.test(input.code)) throw new DomainError('UNPROCESSABLE', `code: "${input.code}" must be 1-50 letters, digits or underscores`, 'code');
  const idType = idTypeOf(input.idType);
  if (!idType) throw new DomainError('UNPROCESSABLE', `idType: "${input.idType}" is not an identity type; use one of Cross_device, Device, Email, Phone, Non_people, Cookie`, 'idType');
  const taken = () => new DomainError('CONFLICT', `code: a namespace with code "${input.code}" already exists in this sandbox (codes are unique, ignoring case)`, 'code');
  if (findNamespace(STANDARD_NAMESPACES, input.code) || (await stores.namespaces.get(sandbox, input.code.toLowerCase()))) throw taken();
  const counter = await stores.db.collection<{ _id: string; seq: number }>('namespaces')
    .findOneAndUpdate({ _id: counterId(sandbox) }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  const doc: CustomNamespaceDoc = {
    id: input.code.toLowerCase(), nsId: FIRST_CUSTOM_NAMESPACE_ID - 1 + counter!.seq, code: input.code, name, idType,
    description: input.description ?? '', custom: true, status: 'ACTIVE', createTime: now, updateTime: now,
  };
  try {
    await stores.namespaces.insert(sandbox, doc);
  } catch (e) {
    if ((e as { code?: number }).code === 11000) throw taken();
    throw e;
  } finally {
    invalidateNamespaces(stores, sandbox);
  }
  return toNamespace(doc);
}

/** Changes a custom namespace's name and description; its code and type are what stored identities mean, so they stay. */
export async function updateCustomNamespace(stores: Stores, sandbox: string, ns: Namespace, set: { name?: string; description?: string }, now: number): Promise<Namespace> {
  if (!ns.custom) throw new DomainError('UNPROCESSABLE', `id: ${ns.id} (${ns.code}) is a standard namespace, which cannot be changed`, 'id');
  if (set.name !== undefined && !set.name.trim()) throw new DomainError('UNPROCESSABLE', 'name: a namespace needs a non-blank name', 'name');
  const changes = { ...(set.name !== undefined ? { name: set.name.trim() } : {}), ...(set.description !== undefined ? { description: set.description } : {}), updateTime: now };
  const updated = await stores.namespaces.update(sandbox, ns.code.toLowerCase(), changes);
  invalidateNamespaces(stores, sandbox);
  if (!updated) throw new DomainError('NOT_FOUND', `Namespace ${ns.id} not found`, 'id');
  return toNamespace(updated);
}

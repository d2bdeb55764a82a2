import { isProfileEnabled } from '../../domain/catalog/model';
import { checkMergePolicy, defaultMergePolicy, defaultMergePolicyId, MAX_MERGE_POLICIES, PROFILE_SCHEMA, READ_ONLY_POLICY_FIELDS } from '../../domain/profile/model';
import type { MergePolicy, MergePolicyInput } from '../../domain/profile/model';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import { DomainError } from '../../domain/shared/errors';
import type { Stores } from '../mongo/stores';

/**
 * Merge policies of a sandbox and their rules: at most MAX_MERGE_POLICIES, exactly one default per
 * schema class, `version` +1 on every change. Without transactions a switch of the default is two
 * writes (the new default first, then the old one un-defaulted); should a crash leave two defaults,
 * `defaultMergePolicyOf` takes the most recently changed one, and the next switch clears the other.
 */

const epoch = (now: number) => Math.floor(now / 1000);
const unprocessable = (field: string, rule: string) => new DomainError('UNPROCESSABLE', `${field}: ${rule}`, field);

/** The sandbox's default merge policy (for the profile class), created on first use. */
export async function defaultMergePolicyOf(stores: Stores, sandbox: string, now: number): Promise<MergePolicy> {
  const { items } = await stores.mergePolicies.list(sandbox, { default: true, 'schema.name': PROFILE_SCHEMA }, { limit: MAX_MERGE_POLICIES + 1 });
  if (items.length) return items.sort((a, b) => b.updateEpoch - a.updateEpoch || b.version - a.version || a.id.localeCompare(b.id))[0];
  try {
    return await stores.mergePolicies.insert(sandbox, defaultMergePolicy(defaultMergePolicyId(sandbox), now));
  } catch (e) {
    // Two first uses at once: the other one created it.
    if ((e as { code?: number }).code !== 11000) throw e;
    return (await stores.mergePolicies.get(sandbox, defaultMergePolicyId(sandbox)))!;
  }
}

/** A policy by id; the sandbox's built-in default is created on first use, like in defaultMergePolicyOf. */
export async function getMergePolicy(stores: Stores, sandbox: string, id: string, now = Date.now()): Promise<MergePolicy | null> {
  const found = await stores.mergePolicies.get(sandbox, id);
  if (found || id !== defaultMergePolicyId(sandbox)) return found;
  const def = await defaultMergePolicyOf(stores, sandbox, now);
  return def.id === id ? def : null;
}

export async function listMergePolicies(stores: Stores, sandbox: string, opts: { start?: number; limit?: number; default?: boolean }, now: number) {
  await defaultMergePolicyOf(stores, sandbox, now);
  return stores.mergePolicies.list(sandbox, opts.default === undefined ? {} : { default: opts.default }, { start: opts.start, limit: opts.limit, sort: { _id: 1 } });
}

async function profileDatasets(stores: Stores, sandbox: string): Promise<Set<string>> {
  const { items } = await stores.datasets.list(sandbox, {}, { limit: 10_000 });
  return new Set(items.filter(isProfileEnabled).map((d) => d.id));
}

/** Makes `keep` the only default of its class: every other default is un-defaulted (a change: version +1). */
async function undefaultOthers(stores: Stores, sandbox: string, keep: MergePolicy, now: number): Promise<void> {
  const { items } = await stores.mergePolicies.list(sandbox, { default: true, 'schema.name': keep.schema.name }, { limit: 100 });
  for (const p of items.filter((x) => x.id !== keep.id)) {
    await stores.mergePolicies.update(sandbox, p.id, { default: false, version: p.version + 1, updateEpoch: epoch(now) });
  }
}

export async function createMergePolicy(stores: Stores, sandbox: string, input: MergePolicyInput, id: string, now: number): Promise<MergePolicy> {
  await defaultMergePolicyOf(stores, sandbox, now);
  const checked = checkMergePolicy(input, await profileDatasets(stores, sandbox));
  const count = await stores.mergePolicies.coll.countDocuments({ sandbox });
  if (count >= MAX_MERGE_POLICIES) throw new DomainError('UNPROCESSABLE', `mergePolicies: a sandbox holds at most ${MAX_MERGE_POLICIES} merge policies (limit reached); delete one first`);
  const policy: MergePolicy = { ...checked, id, version: 1, updateEpoch: epoch(now) };
  await stores.mergePolicies.insert(sandbox, policy);
  if (policy.default) await undefaultOthers(stores, sandbox, policy, now);
  return policy;
}

/** Replaces what a client may set on a policy (PUT semantics); a change bumps `version`. */
export async function replaceMergePolicy(stores: Stores, sandbox: string, id: string, input: MergePolicyInput, now: number): Promise<MergePolicy> {
  const old = await getMergePolicy(stores, sandbox, id, now);
  if (!old) throw new DomainError('NOT_FOUND', `Merge policy ${id} not found`);
  const checked = checkMergePolicy(input, await profileDatasets(stores, sandbox));
  if (old.default && !checked.default) throw unprocessable('default', `${id} is the default merge policy of ${old.schema.name}; make another policy the default instead of un-defaulting it`);
  const next: MergePolicy = { ...checked, id, version: old.version + 1, updateEpoch: epoch(now) };
  if (!checked.imsOrgId && old.imsOrgId) next.imsOrgId = old.imsOrgId;
  await stores.mergePolicies.put(sandbox, next);
  if (next.default) await undefaultOthers(stores, sandbox, next, now);
  return next;
}

/** RFC 6902 patch of a policy; the result must satisfy the same rules as a replacement. */
export async function patchMergePolicy(stores: Stores, sandbox: string, id: string, ops: PatchOp[], parse: (doc: unknown) => MergePolicyInput, now: number): Promise<MergePolicy> {
  const old = await getMergePolicy(stores, sandbox, id, now);
  if (!old) throw new DomainError('NOT_FOUND', `Merge policy ${id} not found`);
  ops.forEach((o, i) => {
    const top = typeof o.path === 'string' ? o.path.split('/')[1] : undefined;
    if ((READ_ONLY_POLICY_FIELDS as readonly string[]).includes(top ?? '')) throw unprocessable(`[${i}].path`, `/${top} is read-only`);
  });
  return replaceMergePolicy(stores, sandbox, id, parse(applyPatch(old, ops)), now);
}

export async function deleteMergePolicy(stores: Stores, sandbox: string, id: string, now: number): Promise<void> {
  const old = await getMergePolicy(stores, sandbox, id, now);
  if (!old) throw new DomainError('NOT_FOUND', `Merge policy ${id} not found`);
  if (old.default) throw unprocessable('default', `${id} is the default merge policy of ${old.schema.name} and cannot be deleted; make another policy the default first`);
  await stores.mergePolicies.delete(sandbox, id);
}

import { DEFAULT_LINKING_RULES, primaryIdentity } from '../../domain/identity/graph';
import type { GraphMember } from '../../domain/identity/graph';
import { parseIdentityKey } from '../../domain/identity/namespaces';
import { composeProfile } from '../../domain/profile/merge';
import type { AttributeSource, Fragment } from '../../domain/profile/merge';
import type { MergePolicy } from '../../domain/profile/model';
import { DomainError, isDomainError } from '../../domain/shared/errors';
import type { Stores } from '../mongo/stores';
import { linkingRulesOf } from '../identity/linking-rules';

/** Which profile to read: the identity asked for and the graph it belongs to (null when unknown). */
export interface ProfileRef { identityKey: string; graphId: string | null }

export interface ReadProfile {
  /** The merged id the profile is keyed by: its graph (pdg), or the identity itself (none: no stitching). */
  entityId: string;
  graphId: string;
  entity: Record<string, unknown>;
  sources: string[];
  lastModifiedAt: number;
  mergePolicy: { id: string; version: number };
  /** Identities of the graph (pdg) or 1 (none); a graph over the sandbox's limit is refused (tooManyIdentities). */
  identityCount: number;
  /** True when the stored materialised profile was served as it is. */
  materialised: boolean;
  /** Leaf path → the fragment that supplied it (only when asked for). */
  attributes?: Record<string, AttributeSource>;
}

/**
 * The fragments stored under some identities, read by id (identity × every dataset of the sandbox):
 * `_id` lookups are what FerretDB indexes, where a `graphId` query scans the collection.
 */
async function fragmentsOf(stores: Stores, sandbox: string, identityKeys: string[]): Promise<(Fragment & { graphId: string })[]> {
  const { items } = await stores.datasets.list(sandbox, {}, { limit: 10_000 });
  const ids = identityKeys.flatMap((k) => items.map((d) => stores.profiles.fragmentId(sandbox, d.id, k)));
  return [...(await stores.profiles.getFragments(ids)).values()];
}

export interface ReadOptions {
  explain?: boolean;
}

/** AEP refuses to serve a profile whose graph is over the identity limit. */
const TOO_MANY = 'too many related identities';
export const tooManyIdentities = () => new DomainError('UNPROCESSABLE', `${TOO_MANY}: the identity graph holds more identities than the sandbox's graph limit`, 'entityId');
export const isTooManyIdentities = (e: unknown) => isDomainError(e) && e.message.startsWith(TOO_MANY);

/**
 * A profile as a merge policy sees it. The default policy's result is materialised by ingestion;
 * it is served as stored when it was materialised under this very policy version and no explanation
 * is asked for. Otherwise the profile is merged on read: `pdg` from every fragment of the graph,
 * `none` from the fragments stored under the identity itself. Null when there is no profile.
 */
export async function readProfile(stores: Stores, sandbox: string, ref: ProfileRef, policy: MergePolicy, opts: ReadOptions = {}): Promise<ReadProfile | null> {
  if (!ref.graphId) return null;
  const graphId = ref.graphId;
  const stored = await stores.profiles.getProfile(sandbox, graphId);
  const segmentMembership = stored?.segmentMembership ?? {};
  const mergePolicy = { id: policy.id, version: policy.version };
  const pdg = policy.identityGraph.type === 'pdg';
  const rules = pdg ? await linkingRulesOf(stores, sandbox) : DEFAULT_LINKING_RULES;
  const current = stored?.mergePolicy && stored.mergePolicy.id === policy.id && stored.mergePolicy.version === policy.version;
  if (pdg && current && !opts.explain) {
    const identityMap = (stored.entity.identityMap ?? {}) as Record<string, unknown[]>;
    const identityCount = Object.values(identityMap).reduce((n, ids) => n + (Array.isArray(ids) ? ids.length : 0), 0);
    if (identityCount > rules.graphLimit) throw tooManyIdentities();
    return { entityId: graphId, graphId, entity: { ...stored.entity, segmentMembership }, sources: stored.sources, lastModifiedAt: stored.lastModifiedAt, mergePolicy, identityCount, materialised: true };
  }
  const members = pdg ? (await stores.identities.members(sandbox, [graphId])).map((m) => ({ ns: m.ns, id: m.id })) : [parseIdentityKey(ref.identityKey)];
  if (pdg && members.length > rules.graphLimit) throw tooManyIdentities();
  const keys = pdg ? members.map((m) => `${m.ns}:${m.id}`) : [ref.identityKey];
  // The primary identity is chosen as ingestion chooses it (namespace priority); only the key matters to it.
  const primary = pdg ? primaryIdentity(keys.map((k) => ({ k }) as GraphMember), rules.namespacePriority) : ref.identityKey;
  const fragments = (await fragmentsOf(stores, sandbox, keys)).filter((f) => !pdg || f.graphId === graphId);
  if (!fragments.length && (!pdg || !stored)) return null;
  const view = composeProfile({ identityKey: ref.identityKey, fragments, members, identityGraph: policy.identityGraph.type, rule: policy.attributeMerge, primary });
  return {
    entityId: pdg ? graphId : ref.identityKey,
    graphId,
    entity: { ...view.entity, segmentMembership },
    sources: view.sourceDatasets,
    lastModifiedAt: (pdg && stored?.lastModifiedAt) || view.lastModifiedAt,
    mergePolicy,
    identityCount: pdg ? members.length : 1,
    materialised: false,
    ...(opts.explain ? { attributes: view.sources } : {}),
  };
}

import { DomainError } from '../shared/errors';
import { getPath, setPath } from '../shared/paths';

export interface MergePolicy {
  id: string;
  name: string;
  imsOrgId?: string;
  schema: { name: string };
  version: number;
  identityGraph: { type: 'none' | 'pdg' };
  attributeMerge: { type: 'timestampOrdered' | 'dataSetPrecedence'; order?: string[] };
  default: boolean;
  updateEpoch: number;
}

/** The one schema class merge policies apply to. */
export const PROFILE_SCHEMA = '_xdm.context.profile';
/** AEP guardrail: merge policies per sandbox. */
export const MAX_MERGE_POLICIES = 5;

/** Id of the policy a sandbox starts with. */
export const defaultMergePolicyId = (sandbox: string) => `${sandbox}-default-timestamp-ordered`;

/** The merge policy every sandbox starts with: timestamp-ordered over the private identity graph. */
export const defaultMergePolicy = (id: string, now: number): MergePolicy => ({
  id,
  name: 'Default timestamp-ordered',
  schema: { name: PROFILE_SCHEMA },
  version: 1,
  identityGraph: { type: 'pdg' },
  attributeMerge: { type: 'timestampOrdered' },
  default: true,
  updateEpoch: Math.floor(now / 1000),
});

/** What a client sets on a policy; the rest (id, version, updateEpoch) is the platform's. */
export type MergePolicyInput = Pick<MergePolicy, 'name' | 'schema' | 'identityGraph' | 'attributeMerge' | 'default'> & { imsOrgId?: string };

/**
 * Checks a policy's own rules and returns it normalised (a timestamp-ordered policy keeps no
 * `order`). `profileDatasets` are the sandbox's datasets enabled for Profile.
 */
export function checkMergePolicy(input: MergePolicyInput, profileDatasets: ReadonlySet<string>): MergePolicyInput {
  const fail = (field: string, rule: string) => new DomainError('UNPROCESSABLE', `${field}: ${rule}`, field);
  if (input.schema.name !== PROFILE_SCHEMA) throw fail('schema.name', `merge policies apply only to ${PROFILE_SCHEMA} (got "${input.schema.name}")`);
  const { type, order } = input.attributeMerge;
  if (type === 'timestampOrdered') return { ...input, attributeMerge: { type } };
  if (!order?.length) throw fail('attributeMerge.order', 'dataSetPrecedence needs a non-empty list of datasets in priority order');
  order.forEach((id, i) => {
    if (order.indexOf(id) !== i) throw fail(`attributeMerge.order[${i}]`, `dataset ${id} is listed twice`);
    if (!profileDatasets.has(id)) throw fail(`attributeMerge.order[${i}]`, `dataset ${id} does not exist in this sandbox or is not enabled for Profile`);
  });
  return { ...input, attributeMerge: { type, order: [...order] } };
}

/** Fields of a policy no client may change. */
export const READ_ONLY_POLICY_FIELDS = ['id', 'version', 'updateEpoch'] as const;

/**
 * Keeps only the named dotted paths of an object, nested as they were
 * (`person.name.firstName,identityMap` → `{person:{name:{firstName}}, identityMap}`).
 * Paths that hold nothing are left out.
 */
export function projectFields(obj: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    const v = getPath(obj, path);
    if (v !== undefined) setPath(out, path, structuredClone(v));
  }
  return out;
}

/** `a,b.c , d` → `['a','b.c','d']`; lists given as arrays pass through. Empty entries are dropped. */
export function parseFields(fields: string | string[] | undefined): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = (Array.isArray(fields) ? fields : fields.split(',')).map((f) => f.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/** Whether a leaf path lies within one of the projected fields. */
export const withinFields = (path: string, fields: string[]) => fields.some((f) => path === f || path.startsWith(`${f}.`));

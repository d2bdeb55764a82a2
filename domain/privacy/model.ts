/**
 * Privacy Service jobs (AEP's `/data/core/privacy/jobs`): one job per data subject ("user") of a
 * request, deleting everything stored about that person. Pure: the API validates with it, the
 * activity plans its steps with it, and both show a job through `jobView`.
 */
import { findNamespace, identityKey, normalizeIdentity } from '../identity/namespaces';
import type { Namespace } from '../identity/namespaces';

/** Products a job may include; AEP names them this way in `include`. */
export const PRIVACY_PRODUCTS = ['ProfileService', 'identity', 'aepDataLake'] as const;
export type PrivacyProduct = (typeof PRIVACY_PRODUCTS)[number];

/** Regulations AEP accepts in `regulation` (the state-suffixed US values current since mid-2025). */
export const REGULATIONS = [
  'apa_aus', 'ccpa', 'cpa_co_usa', 'cpra_ca_usa', 'ctdpa_ct_usa', 'dpdpa_de_usa', 'fdbr_fl_usa', 'gdpr', 'hipaa_usa', 'icdpa_ia_usa',
  'lgpd_bra', 'mcdpa_mn_usa', 'mcdpa_mt_usa', 'mhmda_wa_usa', 'ndpa_ne_usa', 'nhpa_nh_usa', 'njdpa_nj_usa', 'nzpa_nzl', 'ocpa_or_usa',
  'pdpa_tha', 'ql25_qc_can', 'tdpsa_tx_usa', 'tipa_tn_usa', 'ucpa_ut_usa', 'vcdpa_va_usa',
] as const;

export type PrivacyStatus = 'processing' | 'complete' | 'error';

/** AEP caps a request at 1000 users. */
export const MAX_USERS_PER_REQUEST = 1000;

export interface PrivacyUserId {
  namespace: string;
  value: string;
  type: 'standard' | 'custom';
  namespaceId?: number;
  isDeletedClientSide?: boolean;
}

/** What a delete removed, per store; `pendingExports` stays 0 until there is an export queue to purge. */
export interface RemovedCounts {
  identities: number;
  graphs: number;
  history: number;
  fragments: number;
  events: number;
  profiles: number;
  datasetRecords: number;
  pendingExports: number;
}
export type DeleteStore = Exclude<keyof RemovedCounts, 'pendingExports'>;

export const emptyRemoved = (): RemovedCounts => ({ identities: 0, graphs: 0, history: 0, fragments: 0, events: 0, profiles: 0, datasetRecords: 0, pendingExports: 0 });

/**
 * The order a job deletes in, and the product each store belongs to. Identities go last: until
 * then the person can still be found from any of their identities, even by a later job.
 */
export const DELETE_STEPS: { store: DeleteStore; product: PrivacyProduct }[] = [
  { store: 'datasetRecords', product: 'aepDataLake' },
  { store: 'events', product: 'ProfileService' },
  { store: 'fragments', product: 'ProfileService' },
  { store: 'profiles', product: 'ProfileService' },
  { store: 'history', product: 'identity' },
  { store: 'graphs', product: 'identity' },
  { store: 'identities', product: 'identity' },
];

export const stepsFor = (include: PrivacyProduct[]): DeleteStore[] => DELETE_STEPS.filter((s) => include.includes(s.product)).map((s) => s.store);

/** What verification found left, per store checked. */
export interface Verification { remaining: number; checked: { store: DeleteStore; remaining: number }[] }

/**
 * How far a delete got, saved before and after every step (no identity in it): steps `done`, the
 * counts so far, and the step in flight with how many documents it matched before deleting — a
 * retry of an attempt that died mid-step counts what that attempt deleted as matched − still there.
 */
export interface DeleteProgress {
  done: number;
  removed: RemovedCounts;
  inflight?: { step: number; matched: number };
  /** Delete passes run (a pass that leaves something behind is followed by another). */
  pass: number;
  attempt: number;
}

export const startProgress = (): DeleteProgress => ({ done: 0, removed: emptyRemoved(), pass: 1, attempt: 1 });

/** The later of two saved progresses (a heartbeat and the job document), by pass then steps done. */
export function laterProgress(a?: DeleteProgress, b?: DeleteProgress): DeleteProgress | undefined {
  if (!a || !b) return a ?? b;
  const rank = (p: DeleteProgress) => [p.pass, p.done, p.inflight ? 1 : 0];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] > rb[i] ? a : b;
  return a;
}

export interface PrivacyJob {
  /** The jobId. */
  id: string;
  /** Shared by the jobs of one POST. */
  requestId: string;
  userKey: string;
  action: 'delete';
  regulation: string;
  include: PrivacyProduct[];
  userIds: PrivacyUserId[];
  /** Normalised identity keys (`<ns>:<id>`) of the userIDs: where the job starts looking. */
  identityKeys: string[];
  status: PrivacyStatus;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  removed?: RemovedCounts;
  verification?: Verification;
  retryCount?: number;
  errors?: string[];
  workflow: { workflowId: string; uiUrl?: string };
  /**
   * While the job runs: the person found (graphs and every identity key of them) and the progress.
   * Dropped when the job ends, since it names identities the job was asked to forget.
   */
  work?: { graphIds: string[]; memberKeys: string[]; progress?: DeleteProgress };
}

export const privacyWorkflowId = (sandbox: string, jobId: string) => `privacy/${sandbox}/${jobId}`;

/**
 * `include` as the job will run it: all three products when absent. Profile and identity data are
 * deleted together (a profile deleted without its identities is rebuilt from them, identities
 * deleted without the profile leave data no identity reaches), so either brings the other.
 */
export function resolveInclude(include: string[] | undefined): { include: PrivacyProduct[] } | { error: string } {
  if (!include) return { include: [...PRIVACY_PRODUCTS] };
  if (!include.length) return { error: `include: name at least one of ${PRIVACY_PRODUCTS.join(', ')}` };
  const out = new Set<PrivacyProduct>();
  for (const [i, p] of include.entries()) {
    const known = PRIVACY_PRODUCTS.find((x) => x.toLowerCase() === p.toLowerCase());
    if (!known) return { error: `include[${i}]: "${p}" is not a product OpenXP holds data for; use ${PRIVACY_PRODUCTS.join(', ')}` };
    out.add(known);
  }
  if (out.has('ProfileService') || out.has('identity')) ['ProfileService', 'identity'].forEach((p) => out.add(p as PrivacyProduct));
  return { include: PRIVACY_PRODUCTS.filter((p) => out.has(p)) };
}

export interface UserIdInput { namespace: string; value: string; type?: string; isDeletedClientSide?: boolean }

/**
 * One user's identities → their stored keys, or the first problem naming its field (`at` is the
 * user's path, e.g. `users[0]`): an unknown namespace, or a value that is no identity of its
 * namespace (which could never have been stored).
 */
export function resolveUserIds(at: string, ids: UserIdInput[], namespaces: Namespace[]): { userIds: PrivacyUserId[]; keys: string[] } | { error: string } {
  const userIds: PrivacyUserId[] = [];
  const keys: string[] = [];
  for (const [j, u] of ids.entries()) {
    const field = `${at}.userIDs[${j}]`;
    const ns = findNamespace(namespaces, u.namespace);
    if (!ns) return { error: `${field}.namespace: "${u.namespace}" is not an identity namespace of this sandbox (standard or custom)` };
    const v = normalizeIdentity(ns, u.value);
    if (v === null) return { error: `${field}.value: "${u.value}" is not a valid ${ns.code} identity (${ns.idType})` };
    userIds.push({ namespace: u.namespace, value: u.value, type: ns.custom ? 'custom' : 'standard', namespaceId: ns.id, ...(u.isDeletedClientSide !== undefined ? { isDeletedClientSide: u.isDeletedClientSide } : {}) });
    keys.push(identityKey(ns.code, v));
  }
  return { userIds, keys: [...new Set(keys)] };
}

/** AEP's date format in privacy jobs: `04/12/2024 04:08 PM GMT`. */
export function aepDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const h = d.getUTCHours() % 12 || 12;
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(h)}:${p(d.getUTCMinutes())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'} GMT`;
}

const STORES_OF: Record<PrivacyProduct, DeleteStore[]> = {
  aepDataLake: ['datasetRecords'],
  ProfileService: ['profiles', 'fragments', 'events'],
  identity: ['identities', 'graphs', 'history'],
};

/** Response codes are OpenXP's own, shaped like AEP's (`PRIVACY-<ACTION>-<nnnn>`). */
const CODES: Record<PrivacyStatus, [string, string]> = { processing: ['PRIVACY-DELETE-0100', 'Processing'], complete: ['PRIVACY-DELETE-0000', 'Success'], error: ['PRIVACY-DELETE-0500', 'Error'] };

/** The job as the API shows it (AEP's fields, plus `removed` and `verification` as OpenXP's proof). */
export function jobView(job: PrivacyJob) {
  // While running, the counts so far.
  const removedSoFar = job.removed ?? job.work?.progress?.removed;
  const productResponses = job.include.map((product) => {
    const stores = STORES_OF[product];
    const left = job.verification?.checked.filter((c) => stores.includes(c.store) && c.remaining > 0) ?? [];
    // A failed job can still have finished some products: those with nothing left answer complete.
    const status: PrivacyStatus = job.status !== 'error' ? job.status : job.verification && !left.length ? 'complete' : 'error';
    const [responseMsgCode, message] = CODES[status];
    const removed = removedSoFar ? `removed ${stores.map((s) => `${removedSoFar[s]} ${s}`).join(', ')}` : message;
    const responseMsgDetail = status !== 'error' ? removed : left.length ? `${removed}; still present: ${left.map((c) => `${c.remaining} ${c.store}`).join(', ')}` : (job.errors?.[0] ?? removed);
    return {
      product, retryCount: job.retryCount ?? 0, ...(job.completedAt ? { processedDate: aepDate(job.completedAt) } : {}),
      productStatusResponse: { status, message, responseMsgCode, responseMsgDetail },
    };
  });
  return {
    jobId: job.id, requestId: job.requestId, userKey: job.userKey, action: job.action, status: job.status, regulation: job.regulation, include: job.include,
    createdDate: aepDate(job.createdAt), lastModifiedDate: aepDate(job.updatedAt), ...(job.completedAt ? { completedDate: aepDate(job.completedAt) } : {}),
    userIds: job.userIds, productResponses,
    ...(removedSoFar ? { removed: removedSoFar } : {}), ...(job.verification ? { verification: job.verification } : {}),
    ...(job.errors?.length ? { errors: job.errors } : {}), workflow: job.workflow,
  };
}

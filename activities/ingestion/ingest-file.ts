import { Context } from '@temporalio/activity';
import { DomainError } from '../../domain/shared/errors';
import { stableKey } from '../../domain/shared/ids';
import { EXPERIENCE_EVENT_CLASS_ID } from '../../domain/xdm';
import { normalizeMappings, ROW_ERROR } from '../../domain/ingest/mapping';
import type { Mapping, RowIssue } from '../../domain/ingest/mapping';
import { checkRecord, GUARDRAIL_ERROR } from '../../domain/ingest/guardrails';
import { overLinked } from '../../domain/identity/graph';
import type { GraphChange } from '../../domain/identity/graph';
import { findNamespace } from '../../domain/identity/namespaces';
import { linkingRulesOf } from '../../infra/identity/linking-rules';
import { sandboxNamespaces } from '../../infra/identity/namespaces';
import { defaultMergePolicyOf } from '../../infra/profile/merge-policies';
import { openObject } from '../../infra/s3/client';
import { insertNew } from '../../infra/mongo/bulk';
import { recoverWrites } from '../../infra/mongo/stores';
import { getRecordValidator } from '../../infra/xdm/validator';
import type { ActivityDeps } from '../deps';
import { withKeepAlive } from '../heartbeat';
import { loadSchemaContext } from '../../infra/xdm/schema-context';
import type { SchemaContext } from '../../infra/xdm/schema-context';
import type { RecordValidator } from './records';
import { GraphCache } from '../profile/graph-cache';
import { writeRecords } from '../profile/write-records';
import type { IncomingRecord, WriteResult } from '../profile/write-records';
import { processRecord } from './records';
import { readRecords } from './sources';
import type { FileCursor, FileResult, IngestFile, IngestJob } from './job';
import { emptyResult } from '../../domain/ingest/result';

/** Rows per write round; FerretDB scans a collection per lookup, so fewer, larger rounds are faster. */
const CHUNK = 2500;

export interface ChunkRow { row: number; raw: string; issues: RowIssue[]; record?: IncomingRecord }

export interface RowsTarget { sandbox: string; datasetId: string; batchId: string; filename: string; scope: string; cache?: GraphCache; datasets?: string[] }

/**
 * Writes processed rows: failed rows as row errors, valid ones as dataset records (ids from their
 * content: a record already in the dataset is skipped) and into the identity graph and profiles,
 * holding the sandbox's graph lease. `reapply(row)` marks rows a dead attempt may have half
 * written, which are applied again even if their dataset record exists. Used by file ingestion
 * and by streaming ingestion.
 */
export async function writeRows(deps: ActivityDeps, t: RowsTarget, rows: ChunkRow[], reapply: (row: number) => boolean = () => false) {
  const { stores } = deps;
  const rules = await linkingRulesOf(stores, t.sandbox);
  const rejected = rejectOverLinked(rows, rules.batchLinkLimit);
  const failed = rows.filter((c) => c.issues.length);
  const good = rows.filter((c) => !c.issues.length && c.record);
  const rowKey = (row: number) => `${t.sandbox}|${t.batchId}|${t.filename}|${row}`;
  await insertNew(stores.rowErrors, failed.map((c) => ({ _id: rowKey(c.row), sandbox: t.sandbox, batchId: t.batchId, datasetId: t.datasetId, _filename: t.filename, rowNumber: c.row, _corrupt_record: c.raw, _errors: c.issues })));
  const recordIds = good.map((c) => `${t.sandbox}|${t.datasetId}|${stableKey(JSON.stringify(c.record!.data), c.record!.identities.join(','))}`);
  const dups = await insertNew(stores.datasetRecords, good.map((c, i) => ({ _id: recordIds[i], sandbox: t.sandbox, datasetId: t.datasetId, batchId: t.batchId, identities: c.record!.identities, record: c.record!.data })));
  const apply = good.filter((c, i) => !dups.has(recordIds[i]) || reapply(c.row));
  const writer = `${t.scope}#${rows[0]?.row ?? 0}`;
  if (rejected.length) await stores.graphs.record(t.sandbox, rejected, deps.now(), `${writer}#rejected`);
  let w: WriteResult | undefined;
  if (apply.length) {
    const retrying = rows.some((c) => reapply(c.row));
    const namespaces = await sandboxNamespaces(stores, t.sandbox);
    const typeOf = (ns: string) => findNamespace(namespaces, ns)?.idType ?? 'Cross_device';
    const mp = await materialisingPolicy(deps, t.sandbox);
    const policy = { id: mp.id, version: mp.version, rule: mp.attributeMerge };
    w = await stores.leases.with(`graph/${t.sandbox}`, t.scope, async (held) => {
      if (held.tookOverFrom) await recoverWrites(stores, held.tookOverFrom);
      t.cache?.onLease(held);
      return writeRecords(stores, t.sandbox, t.datasetId, t.batchId, apply.map((c) => c.record!), deps.now(), t.scope, { cache: t.cache, writer, reclaim: retrying && held.previousOwner === t.scope, datasets: t.datasets, rules, typeOf, policy });
    });
  }
  const errorCounts: Record<string, number> = {};
  for (const c of failed) errorCounts[c.issues[0].code] = (errorCounts[c.issues[0].code] ?? 0) + 1;
  return {
    output: good.length, skipped: good.length - apply.length, failed: failed.length, errorCounts,
    graphsMerged: w?.graphsMerged ?? 0, linksRefused: w?.linksRefused ?? 0, identitiesRemoved: w?.identitiesRemoved ?? 0, identitiesRejected: rejected.length,
  };
}

const policies = new Map<string, { at: number; policy: Awaited<ReturnType<typeof defaultMergePolicyOf>> }>();
/**
 * The default merge policy, which materialised profiles are merged under; re-read every few
 * seconds (each profile records the policy version it was merged under, and reads under a newer
 * version merge on read, so a change is never served stale).
 */
async function materialisingPolicy(deps: ActivityDeps, sandbox: string) {
  const hit = policies.get(sandbox);
  if (hit && deps.now() - hit.at < 5_000) return hit.policy;
  const policy = await defaultMergePolicyOf(deps.stores, sandbox, deps.now());
  policies.set(sandbox, { at: deps.now(), policy });
  return policy;
}

/**
 * Identities linked to too many others within these rows (a shared value such as a test email)
 * are not ingested: they are taken out of every row's identities, and a row left with none fails.
 * Returns what was rejected, for the graph history.
 */
function rejectOverLinked(rows: ChunkRow[], limit: number): GraphChange[] {
  const withIds = rows.filter((c) => !c.issues.length && c.record);
  const hot = overLinked(withIds.map((c) => ({ keys: c.record!.identities })), limit);
  if (!hot.size) return [];
  for (const c of withIds) {
    const keys = c.record!.identities.filter((k) => !hot.has(k));
    if (keys.length === c.record!.identities.length) continue;
    if (!keys.length) c.issues.push({ code: GUARDRAIL_ERROR.IDENTITY_OVERLINKED, message: `identity ${c.record!.identities.join(', ')} is linked to ${limit} or more other identities in this batch; it is not ingested, and the row has no other identity` });
    else c.record = { ...c.record!, identities: keys };
  }
  return [...hot].map(([identity, n]) => ({ type: 'rejected' as const, identity, reason: `linked to ${n} other identities in one batch (limit ${limit})` }));
}

/**
 * One parsed source row → a chunk row: mapped (or taken as XDM when there is no mapping),
 * validated, identified, checked against the guardrails, timestamped.
 */
export function toChunkRow(row: number, raw: string, values: Record<string, unknown>, p: { mappings: Mapping[]; schemaCtx: SchemaContext; validate: RecordValidator; isEvent: boolean; rowKey: string; now: number }): ChunkRow {
  const outcome = processRecord(values, p.mappings, p.schemaCtx, p.validate, { rowKey: p.rowKey, now: p.now });
  const checked = outcome.record ? checkRecord(outcome.record.data, { isEvent: p.isEvent, ingestTs: p.now }) : undefined;
  const issues = [...outcome.issues, ...(checked?.issues ?? [])];
  return { row, raw, issues, record: outcome.record && checked?.meta ? { ...outcome.record, ...checked.meta } : undefined };
}

/** The writer scope of one file of one batch: what a retry of its activity recovers. */
export const writeScope = (job: IngestJob, file: IngestFile) => `ingest/${job.sandbox}/${job.batchId}/${file.bucket}/${file.key}`;

/**
 * Streams one file into its dataset and the profile store, in chunks. After each chunk the row
 * cursor is heartbeated; a retried attempt resumes after it, and re-applies the rows a dead attempt
 * may have half written (up to the row it had started, kept in `progress`). Dataset records get ids
 * from their content, so a row already in the dataset is skipped: re-ingesting a file modifies
 * nothing. The identity graph of a sandbox has one writer at a time (a lease).
 */
export async function ingestFile(deps: ActivityDeps, job: IngestJob, file: IngestFile): Promise<FileResult> {
  const { stores } = deps;
  const ctx = Context.current();
  const scope = writeScope(job, file);
  const resume = ctx.info.heartbeatDetails as FileCursor | undefined;
  const result: FileResult = resume?.result ?? { ...emptyResult(), bytes: file.size };
  let cursor: FileCursor = { row: resume?.row ?? 0, result: structuredClone(result) };
  const reapplyUpTo = (await stores.progress.findOne({ _id: scope }))?.startedRow ?? 0;
  await recoverWrites(stores, scope);

  const dataset = await stores.datasets.get(job.sandbox, job.datasetId);
  if (!dataset) throw new DomainError('NOT_FOUND', `Dataset ${job.datasetId} not found`);
  const schemaCtx = await loadSchemaContext(stores, job.sandbox, dataset.schemaRef.id);
  const isEvent = schemaCtx.schema['meta:class'] === EXPERIENCE_EVENT_CLASS_ID;
  const validate = getRecordValidator(schemaCtx.schema.$id, schemaCtx.schema.version, schemaCtx.resolved);
  const mappingSet = job.mappingId ? await stores.mappingSets.get(job.sandbox, job.mappingId) : null;
  const mappings = normalizeMappings(mappingSet?.mappings ?? []);
  const base = job.connectionId ? await stores.connections.get(job.sandbox, job.connectionId) : undefined;
  if (job.connectionId && !base) throw new DomainError('NOT_FOUND', `Base connection ${job.connectionId} not found`);
  const cache = new GraphCache(stores.writeMode === 'deleteInsert');
  const datasets = (await stores.datasets.list(job.sandbox, {}, { limit: 10_000 })).items.map((d) => d.id);

  const writeChunk = async (chunk: ChunkRow[]) => {
    if (!chunk.length) return;
    const last = chunk[chunk.length - 1].row;
    await stores.progress.updateOne({ _id: scope }, { $set: { startedRow: Math.max(last, reapplyUpTo) } }, { upsert: true });
    const w = await writeRows(deps, { sandbox: job.sandbox, datasetId: job.datasetId, batchId: job.batchId, filename: file.key, scope, cache, datasets }, chunk, (row) => row <= reapplyUpTo);
    result.input += chunk.length;
    result.output += w.output;
    result.skipped += w.skipped;
    result.failed += w.failed;
    result.graphsMerged += w.graphsMerged;
    result.linksRefused = (result.linksRefused ?? 0) + w.linksRefused;
    result.identitiesRejected = (result.identitiesRejected ?? 0) + w.identitiesRejected;
    result.identitiesRemoved = (result.identitiesRemoved ?? 0) + w.identitiesRemoved;
    for (const [code, n] of Object.entries(w.errorCounts)) result.errorCounts[code] = (result.errorCounts[code] ?? 0) + n;
    cursor = { row: last, result: structuredClone(result) };
    ctx.heartbeat(cursor);
    if (job.runId) await stores.runs.update(job.sandbox, job.runId, { [`progress.f${file.index}`]: { input: result.input, output: result.output, failed: result.failed, skipped: result.skipped }, updatedAt: deps.now() } as never);
  };

  const body = await openObject(deps.s3For(base ?? undefined), file.bucket, file.key);
  await withKeepAlive(async () => {
    // The next chunk is parsed and validated while the previous one is written (one write in flight, in order).
    let chunk: ChunkRow[] = [];
    let writing: Promise<void> = Promise.resolve();
    const handOver = async (rows: ChunkRow[]) => {
      await writing;
      writing = writeChunk(rows);
      writing.catch(() => undefined); // awaited (and rethrown) before the next hand-over or at the end
    };
    for await (const row of readRecords(body, file.format)) {
      if (row.rowNumber <= cursor.row) continue;
      if (row.error || !row.values) {
        chunk.push({ row: row.rowNumber, raw: row.raw, issues: [{ code: ROW_ERROR.CORRUPT, message: `corrupt row: ${row.error ?? 'no values'}` }] });
      } else {
        chunk.push(toChunkRow(row.rowNumber, row.raw, row.values, { mappings, schemaCtx, validate, isEvent, rowKey: `${file.key}|${row.rowNumber}`, now: job.startedAt }));
      }
      if (chunk.length >= CHUNK) {
        await handOver(chunk);
        chunk = [];
      }
    }
    await handOver(chunk);
    await writing;
  }, () => cursor);
  await stores.progress.deleteOne({ _id: scope });
  return result;
}

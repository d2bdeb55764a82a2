import { PassThrough } from 'node:stream';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'csv-stringify';
import { DEFAULT_FILENAME_TEMPLATE, renderFilename } from '../domain/destination/filename';
import type { SegmentSelector } from '../domain/destination/filename';
import type { RunRecord } from '../domain/flow/model';
import { getPath } from '../domain/shared/paths';
import { uploadStream } from '../infra/s3/client';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';
import { membershipFilter } from './export.activities';

export interface ActivationInput { sandbox: string; flowId: string; runId: string; startedAt: number }
export interface FileExport { segmentId: string; bucket: string; key: string; rows: number; bytes: number }

export function createActivationActivities(deps: ActivityDeps) {
  const { stores } = deps;

  async function load(sandbox: string, flowId: string) {
    const flow = await stores.flows.get(sandbox, flowId);
    if (!flow) throw ApplicationFailure.nonRetryable(`flow ${flowId} not found`, 'NOT_FOUND');
    const target = await stores.targetConnections.get(sandbox, flow.targetConnectionIds[0]);
    const base = target?.baseConnectionId ? await stores.connections.get(sandbox, target.baseConnectionId) : null;
    if (!target || !base) throw ApplicationFailure.nonRetryable(`flow ${flowId} has no destination connection`, 'NOT_FOUND');
    const params = flow.transformations[0]?.params ?? {};
    const segments = ((params.segmentSelectors?.selectors ?? []) as SegmentSelector[]).map((s) => s.value);
    const attributes = ((params.profileSelectors?.selectors ?? []) as { value: { path: string } }[]).map((s) => s.value.path.replace(/^xdm:/, ''));
    return { flow, target, base, segments, attributes };
  }

  return {
    async listActivationSegments(input: ActivationInput): Promise<string[]> {
      return (await load(input.sandbox, input.flowId)).segments.map((s) => s.id);
    },

    /**
     * Writes one CSV file for one audience (columns = selected attributes). The key is fixed by
     * the run's start time, so a retry overwrites the same object instead of adding another.
     */
    async exportSegmentFile(input: ActivationInput & { segmentId: string }): Promise<FileExport> {
      const { flow, target, base, segments, attributes } = await load(input.sandbox, input.flowId);
      const sel = segments.find((s) => s.id === input.segmentId)!;
      const def = await stores.segmentDefinitions.get(input.sandbox, input.segmentId);
      const bucket = String(target.params.bucketName ?? base.params.bucketName ?? '');
      if (!bucket) throw ApplicationFailure.nonRetryable('destination has no bucketName', 'VALIDATION');
      const folder = String(target.params.path ?? '').replace(/^\/+|\/+$/g, '');
      const name = renderFilename(sel.filenameTemplate ?? DEFAULT_FILENAME_TEMPLATE, { destinationName: flow.name, segmentId: input.segmentId, segmentName: def?.name ?? sel.name ?? input.segmentId, at: new Date(input.startedAt) });
      const key = `${folder ? `${folder}/` : ''}${name}.csv`;
      const out = new PassThrough();
      const csv = stringify({ header: true, columns: attributes });
      let bytes = 0;
      csv.on('data', (b: Buffer) => (bytes += b.length));
      csv.pipe(out);
      const upload = uploadStream(deps.s3For(base), bucket, key, out, 'text/csv');
      let rows = 0;
      let after: string | undefined;
      await withKeepAlive(async () => {
        for (;;) {
          const page = await stores.profiles.scan(input.sandbox, membershipFilter([{ segmentId: input.segmentId }]), after, 1000).toArray();
          if (!page.length) break;
          for (const p of page) {
            const row = attributes.map((a) => {
              const v = getPath(p.entity, a);
              return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
            });
            if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
            rows++;
          }
          after = page[page.length - 1]._id;
          Context.current().heartbeat({ rows });
        }
      }, () => ({ rows }));
      csv.end();
      await upload;
      return { segmentId: input.segmentId, bucket, key, rows, bytes };
    },

    async finalizeActivationRun(input: ActivationInput & { files: FileExport[]; error?: string }): Promise<RunRecord['metrics']['statusSummary']> {
      const now = deps.now();
      const status = input.error ? 'failed' : 'success';
      const rows = input.files.reduce((a, f) => a + f.rows, 0);
      const summary = { status, errors: input.error ? [{ code: 'CONNECTOR-2001-500', message: input.error }] : [] } as RunRecord['metrics']['statusSummary'];
      await stores.runs.update(input.sandbox, input.runId, {
        updatedAt: now,
        'metrics.durationSummary.completedAtUTC': now,
        'metrics.sizeSummary.outputBytes': input.files.reduce((a, f) => a + f.bytes, 0),
        'metrics.recordSummary': { inputRecordCount: rows, outputRecordCount: rows, failedRecordCount: 0 },
        'metrics.fileSummary': { inputFileCount: 0, outputFileCount: input.files.length },
        'metrics.statusSummary': summary,
        activities: input.files.map((f) => ({ id: f.segmentId, name: `s3://${f.bucket}/${f.key}`, status, recordCount: f.rows })),
      } as any);
      return summary;
    },
  };
}

export type ActivationActivities = ReturnType<typeof createActivationActivities>;

import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Stores } from '../infra/mongo/stores';
import type { SecretBox } from '../infra/security/secrets';

/** What the API needs: repositories (read models), an injected Temporal client, and settings. */
export interface ApiDeps {
  stores: Stores;
  temporal: Client;
  secrets: SecretBox;
  apiKey: string;
  defaultSandbox: string;
  tenantId: string;
  temporalUiUrl?: string;
  namespace: string;
  now(): number;
  newId(): string;
  /** The platform bucket batch-ingestion uploads land in, and a client for it. */
  landing: { s3: S3Client; bucket: string };
}

export type AppEnv = { Variables: { requestId: string; sandbox: string; deps: ApiDeps } };

export const uiLink = (deps: ApiDeps, workflowId: string) =>
  deps.temporalUiUrl ? `${deps.temporalUiUrl}/namespaces/${deps.namespace}/workflows/${encodeURIComponent(workflowId)}` : undefined;

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
}

export type AppEnv = { Variables: { requestId: string; sandbox: string; deps: ApiDeps } };

export const uiLink = (deps: ApiDeps, workflowId: string) =>
  deps.temporalUiUrl ? `${deps.temporalUiUrl}/namespaces/${deps.namespace}/workflows/${encodeURIComponent(workflowId)}` : undefined;

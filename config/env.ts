import { z } from 'zod';

/**
 * The only reader of the process environment. Everything else receives a `Config`.
 * Empty strings count as unset so `FOO= npm run dev` behaves like no FOO at all.
 */
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/**
 * Profiles the identity bench stitches unless OPENXP_BENCH_PROFILES says otherwise (its results file
 * is named after other sizes). Sized to finish in about 10 minutes on FerretDB, where every lookup scans.
 */
export const DEFAULT_BENCH_PROFILES = 7_500;
/** Materialised profiles the segmentation bench evaluates unless OPENXP_BENCH_SEG_PROFILES says otherwise. */
export const DEFAULT_BENCH_SEG_PROFILES = 5_000;

const schema = z.object({
  OPENXP_API_KEY: optional,
  OPENXP_API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  OPENXP_API_HOST: z.string().default('127.0.0.1'),
  OPENXP_DEFAULT_SANDBOX: z.string().regex(/^[a-z0-9-]{1,64}$/).default('prod'),
  OPENXP_TENANT_ID: z.string().regex(/^[a-z][a-z0-9]{1,31}$/).default('openxp'),
  OPENXP_SECRET_KEY: optional,
  OPENXP_STATE_DIR: z.string().default('.openxp'),
  OPENXP_TOOLS_DIR: optional,
  OPENXP_WORKERS: z.string().default('ingestion,segmentation,activation'),
  MONGODB_URI: optional,
  MONGODB_DB: z.string().default('openxp'),
  TEMPORAL_ADDRESS: optional,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: optional,
  S3_ENDPOINT: optional,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optional,
  S3_SECRET_ACCESS_KEY: optional,
  OPENXP_LANDING_BUCKET: z.string().regex(/^[a-z0-9.-]{3,63}$/).default('openxp-landing'),
  OPENXP_DEMO_CUSTOMERS: z.coerce.number().int().positive().default(3000),
  OPENXP_BENCH_ROWS: z.coerce.number().int().positive().default(100_000),
  OPENXP_BENCH_PROFILES: z.coerce.number().int().positive().default(DEFAULT_BENCH_PROFILES),
  OPENXP_BENCH_CLIENTS: z.coerce.number().int().positive().default(16),
  OPENXP_BENCH_LOOKUPS: z.coerce.number().int().positive().default(2000),
  OPENXP_BENCH_SEG_PROFILES: z.coerce.number().int().positive().default(DEFAULT_BENCH_SEG_PROFILES),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CI: z.preprocess((v) => v === 'true' || v === '1', z.boolean()).default(false),
  HOME: z.string().default('/tmp'),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  api: { port: number; host: string; apiKey?: string };
  defaultSandbox: string;
  tenantId: string;
  /** Key that encrypts stored credentials (hex or any string; hashed to 32 bytes). */
  secretKey?: string;
  stateDir: string;
  toolsDir: string;
  workers: string[];
  mongo: { uri?: string; db: string };
  temporal: { address?: string; namespace: string; uiUrl?: string };
  /** The platform's own store; `landingBucket` holds files uploaded through the batch ingestion API. */
  s3: { endpoint?: string; region: string; accessKeyId?: string; secretAccessKey?: string; landingBucket: string };
  demoCustomers: number;
  benchRows: number;
  /** Identity bench: profiles stitched, concurrent lookup clients, lookups. */
  benchProfiles: number;
  benchClients: number;
  benchLookups: number;
  /** Segmentation bench: materialised profiles evaluated. */
  benchSegProfiles: number;
  logLevel: Env['LOG_LEVEL'];
  ci: boolean;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    api: { port: e.OPENXP_API_PORT, host: e.OPENXP_API_HOST, apiKey: e.OPENXP_API_KEY },
    defaultSandbox: e.OPENXP_DEFAULT_SANDBOX,
    tenantId: e.OPENXP_TENANT_ID,
    secretKey: e.OPENXP_SECRET_KEY,
    stateDir: e.OPENXP_STATE_DIR,
    toolsDir: e.OPENXP_TOOLS_DIR ?? `${e.HOME}/.cache/openxp`,
    workers: e.OPENXP_WORKERS.split(',').map((s) => s.trim()).filter(Boolean),
    mongo: { uri: e.MONGODB_URI, db: e.MONGODB_DB },
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, uiUrl: e.TEMPORAL_UI_URL },
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      landingBucket: e.OPENXP_LANDING_BUCKET,
    },
    demoCustomers: e.OPENXP_DEMO_CUSTOMERS,
    benchRows: e.OPENXP_BENCH_ROWS,
    benchProfiles: e.OPENXP_BENCH_PROFILES,
    benchClients: e.OPENXP_BENCH_CLIENTS,
    benchLookups: e.OPENXP_BENCH_LOOKUPS,
    benchSegProfiles: e.OPENXP_BENCH_SEG_PROFILES,
    logLevel: e.LOG_LEVEL,
    ci: e.CI,
  };
}

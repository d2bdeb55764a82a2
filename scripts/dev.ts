import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/env';
import { devApiKey, startPlatform } from './platform';

/** `npm run dev`: the embedded stack, every worker and the API in the foreground; Ctrl-C stops all. */
async function main() {
  const cfg = loadConfig(process.env);
  const log = (l: string) => console.log(l);
  const apiKey = devApiKey(cfg);
  const p = await startPlatform(cfg, { ui: !cfg.ci, ports: 'default', persistent: true, dataDir: path.join(cfg.stateDir, 'dev'), api: true, workers: 'all', apiKey, log });
  const info = {
    apiUrl: p.apiUrl, apiKey, defaultSandbox: cfg.defaultSandbox, docs: `${p.apiUrl}/docs`,
    temporalAddress: p.info.temporalAddress, temporalNamespace: p.info.temporalNamespace, temporalUiUrl: p.info.temporalUiUrl,
    mongoUri: p.info.mongoUri, mongoDb: p.info.mongoDb,
    s3Endpoint: p.info.s3Endpoint, s3Region: p.info.s3Region, s3AccessKeyId: p.info.s3AccessKeyId, s3SecretAccessKey: p.info.s3SecretAccessKey,
  };
  fs.mkdirSync(cfg.stateDir, { recursive: true });
  fs.writeFileSync(path.join(cfg.stateDir, 'stack.json'), JSON.stringify(info, null, 2));
  console.log(`\nOpenXP is running (also written to ${path.join(cfg.stateDir, 'stack.json')}):`);
  for (const [k, v] of Object.entries(info)) if (v !== undefined) console.log(`  ${k.padEnd(18)} ${v}`);
  console.log(`\nTry: curl -H 'x-api-key: ${apiKey}' ${p.apiUrl}/data/foundation/schemaregistry/global/classes\nCtrl-C to stop.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\n[openxp] stopping…');
    await p.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e) => {
  console.error(`[openxp] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

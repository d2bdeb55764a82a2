/**
 * `npm run bench` runs every benchmark, one process (and one throwaway stack) each, in turn;
 * `npm run bench -- identity` (or `ingest`, `segmentation`, or several names) runs only those.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHES = ['ingest', 'identity', 'segmentation'];

function main(): number {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !BENCHES.includes(a));
  if (unknown.length) {
    console.error(`[bench] unknown bench ${unknown.map((u) => `"${u}"`).join(', ')}: choose among ${BENCHES.join(', ')}`);
    return 2;
  }
  const failed: string[] = [];
  for (const name of asked.length ? BENCHES.filter((b) => asked.includes(b)) : BENCHES) {
    console.log(`[bench] ── ${name} ──`);
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, `${name}.bench.ts`)], { stdio: 'inherit' });
    if (r.status !== 0) failed.push(name);
  }
  if (failed.length) console.error(`[bench] failed: ${failed.join(', ')}`);
  return failed.length ? 1 : 0;
}

process.exit(main());

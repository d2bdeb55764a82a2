#!/usr/bin/env node
// Entry point of every npm script: installs the project's npm dependencies on first use
// (a fresh clone has none), then runs the given TypeScript file with tsx.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`[openxp] Node ${process.versions.node} is too old: install Node 20.19 or newer.`);
  process.exit(1);
}

const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
const stale = !fs.existsSync(marker) ||
  (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(marker).mtimeMs + 1000);
if (stale) {
  const cmd = fs.existsSync(lock) ? 'ci' : 'install';
  console.log(`[openxp] installing npm dependencies (npm ${cmd}; first run only)…`);
  const r = spawnSync('npm', [cmd, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[openxp] npm install failed: check your network access to the npm registry and retry.');
    process.exit(r.status ?? 1);
  }
  console.log('[openxp] npm dependencies installed.');
}

const [script, ...args] = process.argv.slice(2);
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const r = spawnSync(process.execPath, [tsx, path.join(root, script), ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? (r.signal ? 1 : 0));

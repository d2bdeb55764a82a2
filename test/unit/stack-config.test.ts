import { loadConfig } from '../../config/env';
// Imported from the modules rather than the index so the test does not load the Temporal and Mongo clients.
import { neededTools } from '../../scripts/stack/provision';
import {
  DEFAULT_PORTS, SEARCH_ATTRIBUTES, ferretdbArgs, motoArgs, portConflictMessage, temporalArgs,
} from '../../scripts/stack/services';

/** Value following a flag, e.g. flag(args, '--port'). */
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];
const cfg = (env: Record<string, string> = {}) => loadConfig({ HOME: '/home/u', ...env });

describe('temporalArgs', () => {
  it('runs a headless, in-memory dev server on loopback when no UI and no db file', () => {
    const args = temporalArgs({ port: 7233, namespace: 'default' });
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(flag(args, '--ip')).toBe('127.0.0.1');
    expect(flag(args, '--port')).toBe('7233');
    expect(args).toContain('--headless');
    expect(args).not.toContain('--ui-port');
    expect(args).not.toContain('--db-filename');
    expect(flag(args, '--log-level')).toBe('warn');
    expect(flag(args, '--namespace')).toBe('default');
  });

  it('serves the UI on the given port and persists to the db file', () => {
    const args = temporalArgs({ port: 7233, uiPort: 8233, dbFile: '/d/temporal.db', namespace: 'ns1' });
    expect(flag(args, '--ui-port')).toBe('8233');
    expect(args).not.toContain('--headless');
    expect(flag(args, '--db-filename')).toBe('/d/temporal.db');
    expect(flag(args, '--namespace')).toBe('ns1');
  });

  it('registers every OpenXP search attribute as Keyword and passes JSON dynamic config values', () => {
    const args = temporalArgs({ port: 1, namespace: 'default' });
    const attrs = args.filter((_, i) => args[i - 1] === '--search-attribute');
    expect(attrs).toEqual(SEARCH_ATTRIBUTES.map((n) => `${n}=Keyword`));
    expect(attrs).toContain('OpenXPSandbox=Keyword');
    const dyn = args.filter((_, i) => args[i - 1] === '--dynamic-config-value');
    expect(dyn).toContain('frontend.enableServerVersionCheck=false');
    expect(dyn).toContain('system.forceSearchAttributesCacheRefreshOnRead=true');
    for (const kv of dyn) expect(() => JSON.parse(kv.slice(kv.indexOf('=') + 1))).not.toThrow();
  });
});

describe('ferretdbArgs', () => {
  it('uses SQLite in a directory URL ending with a slash and turns off telemetry and the debug listener', () => {
    const args = ferretdbArgs({ port: 27017, sqliteDir: '/d/ferretdb', stateDir: '/d/state' });
    expect(args).toEqual(expect.arrayContaining([
      '--handler=sqlite', '--sqlite-url=file:/d/ferretdb/', '--listen-addr=127.0.0.1:27017',
      '--state-dir=/d/state', '--telemetry=disable', '--log-level=warn', '--debug-addr=-',
    ]));
    expect(ferretdbArgs({ port: 1, sqliteDir: '/d/f/', stateDir: '/s' })).toContain('--sqlite-url=file:/d/f/');
  });
});

describe('motoArgs', () => {
  it('binds loopback on the given port', () => {
    expect(motoArgs({ port: 4566 })).toEqual(['-H', '127.0.0.1', '-p', '4566']);
  });
});

describe('neededTools', () => {
  it('needs every tool when nothing is pointed at', () => {
    expect(neededTools(cfg()).sort()).toEqual(['ferretdb', 'motoServer', 'temporal']);
  });

  it('skips the tool of each service the user points at', () => {
    expect(neededTools(cfg({ MONGODB_URI: 'mongodb://db:27017' })).sort()).toEqual(['motoServer', 'temporal']);
    expect(neededTools(cfg({ TEMPORAL_ADDRESS: 't:7233', S3_ENDPOINT: 'http://s3' }))).toEqual(['ferretdb']);
    expect(neededTools(cfg({ MONGODB_URI: 'm', TEMPORAL_ADDRESS: 't', S3_ENDPOINT: 's' }))).toEqual([]);
  });

  it('treats empty variables as unset', () => {
    expect(neededTools(cfg({ MONGODB_URI: '' }))).toContain('ferretdb');
  });
});

describe('portConflictMessage', () => {
  it('names the port and the variable that reuses the running service', () => {
    expect(portConflictMessage(27017, 'mongo')).toMatch(/27017.*MONGODB_URI=mongodb:\/\/127\.0\.0\.1:27017/);
    expect(portConflictMessage(7233, 'temporal')).toMatch(/7233.*TEMPORAL_ADDRESS=127\.0\.0\.1:7233/);
    expect(portConflictMessage(4566, 's3')).toMatch(/4566.*S3_ENDPOINT=http:\/\/127\.0\.0\.1:4566/);
  });
});

it('uses the documented default ports', () => {
  expect(DEFAULT_PORTS).toEqual({ temporal: 7233, temporalUi: 8233, mongo: 27017, s3: 4566 });
});

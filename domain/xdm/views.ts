import { resolveComponent } from './compose';
import type { ComponentLookup, XdmComponent } from './types';

/**
 * The Schema Registry's representations, chosen by Accept (`application/vnd.adobe.xed…+json;
 * version=N`), as AEP defines them:
 *   xed+json               the document with its $refs (the default, also for unknown Accept values)
 *   xed-full+json          $refs resolved: one merged `properties` tree, data types inlined
 *   xed-notext+json        xed+json without any title or description
 *   xed-full-notext+json   xed-full+json without any title or description
 *   xed-full-desc+json     xed-full+json plus the schema's descriptors under `meta:descriptors`
 *   xed-id+json            lists only: `$id`, `meta:altId`, `version`, `title` of each item
 */
export interface XedAccept {
  full: boolean;
  notext: boolean;
  descriptors: boolean;
  idOnly: boolean;
  /** The `version=` parameter: a major version ("1") or an exact one ("1.2"). */
  version?: string;
}

const PLAIN: XedAccept = { full: false, notext: false, descriptors: false, idOnly: false };
const VARIANTS: Record<string, Partial<XedAccept>> = {
  '': {},
  '-id': { idOnly: true },
  '-full': { full: true },
  '-notext': { notext: true },
  '-full-notext': { full: true, notext: true },
  '-full-desc': { full: true, descriptors: true },
};
const XED = /application\/vnd\.adobe\.xed(-id|-full-notext|-full-desc|-full|-notext)?\+json(?:\s*;\s*version\s*=\s*"?([^",;\s]+)"?)?/i;

export function parseXedAccept(accept = ''): XedAccept {
  const match = XED.exec(accept);
  if (!match) return { ...PLAIN };
  return { ...PLAIN, ...VARIANTS[(match[1] ?? '').toLowerCase()], ...(match[2] ? { version: match[2] } : {}) };
}

/**
 * The exact version an Accept `version=` asks for, given the current one: none → current; a major
 * ("1") → the current version when it is of that major; an exact "1.2" → itself. Undefined when
 * nothing can match (another major, or not a version at all) — a 404.
 */
export function wantedVersion(current: string, requested?: string): string | undefined {
  if (requested === undefined) return current;
  if (/^\d+$/.test(requested)) return current.split('.')[0] === requested ? current : undefined;
  return /^\d+\.\d+$/.test(requested) ? requested : undefined;
}

const TEXT = new Set(['title', 'description']);
/** Keys whose values are data (enum labels, defaults), never schema nodes. */
const OPAQUE = new Set(['meta:enum', 'enum', 'default', 'examples', 'meta:descriptors']);
/** Keys whose values are maps of names to schema nodes: the names stay, even one called "title". */
const NAMED = new Set(['properties', 'definitions']);

/** The `-notext` views: every title and description removed, field names kept. */
export function stripText<T>(node: T): T {
  if (Array.isArray(node)) return node.map(stripText) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (TEXT.has(key)) continue;
    if (NAMED.has(key) && value && typeof value === 'object') out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripText(v)]));
    else out[key] = OPAQUE.has(key) ? value : stripText(value);
  }
  return out as T;
}

/** One item of an `xed-id+json` list. */
export const summaryOf = (item: { $id: string; 'meta:altId': string; title: string; version?: string }) => ({
  $id: item.$id,
  'meta:altId': item['meta:altId'],
  version: item.version ?? '1.0',
  title: item.title,
});

/** The full view of a class, field group or data type: its fields resolved into one `properties` tree. */
export function resolvedComponent(component: XdmComponent, lookup: ComponentLookup): Record<string, unknown> {
  const { definitions: _definitions, allOf: _allOf, ...meta } = component;
  const { properties, required } = resolveComponent(component, lookup);
  return { ...meta, properties, ...(required.length ? { required } : {}) };
}

/** Applies a parsed Accept to one resource: `refs` as stored, `full()` resolved, descriptors when asked. */
export function renderXed(accept: XedAccept, refs: object, full: () => object, descriptors: readonly object[] = []): object {
  let out = accept.full ? full() : refs;
  if (accept.descriptors) out = { ...out, 'meta:descriptors': descriptors };
  return accept.notext ? stripText(out) : out;
}

import { z } from 'zod';
import { DomainError } from '../shared/errors';
import { assertAllowedChange, buildSchemaDocument, nextVersion, resolveSchema } from './compose';
import { assertUnchanged, parseInput, unprocessable } from './input';
import type { ComponentLookup, XdmComponent, XdmDefinition, XdmField, XdmRef, XdmSchemaDocument } from './types';

/**
 * The rules of change in the Schema Registry: a schema's next version (PUT or JSON Patch), what a
 * changed class, field group or data type does to the schemas built on it, and who still uses a
 * component that is about to be deleted.
 */

/** A schema as `POST`/`PUT /tenant/schemas` take it. */
export const schemaInput = z.looseObject({
  title: z.string().min(1),
  description: z.string().optional(),
  type: z.literal('object').optional(),
  allOf: z.array(z.object({ $ref: z.string().min(1) })).min(1),
  'meta:class': z.string().min(1).optional(),
  'meta:immutableTags': z.array(z.string().min(1)).optional(),
});

/**
 * The next version of a schema from a replacement (a PUT body, or the patched document): ids and
 * class stay, immutable tags are never dropped (a replacement without `meta:immutableTags` keeps
 * the current ones), and a Profile-enabled schema only gains fields.
 */
export function reviseSchemaDocument(cur: XdmSchemaDocument, candidate: unknown, lookup: ComponentLookup): XdmSchemaDocument {
  assertUnchanged(cur, candidate, ['$id', 'meta:altId']);
  const input = parseInput(schemaInput, candidate, 'schema');
  const before = cur['meta:immutableTags'] ?? [];
  const tags = input['meta:immutableTags'] ?? before;
  const lost = before.find((t) => !tags.includes(t));
  if (lost) throw unprocessable(`meta:immutableTags: the '${lost}' tag can never be removed (a Profile-enabled schema stays enabled)`, 'meta:immutableTags');
  const next = buildSchemaDocument({ ...input, 'meta:immutableTags': tags }, { $id: cur.$id, 'meta:altId': cur['meta:altId'] }, lookup, nextVersion(cur.version));
  if (next['meta:class'] !== cur['meta:class']) throw unprocessable(`meta:class: the class of a schema cannot change (is '${cur['meta:class']}')`, 'meta:class');
  assertAllowedChange(resolveSchema(cur, lookup), resolveSchema(next, lookup));
  return next;
}

interface Composite {
  allOf: XdmRef[];
  definitions?: Record<string, XdmDefinition>;
  'meta:intendedToExtend'?: string[];
}

/** Every component `root` builds on, transitively: class, behaviours, field groups, data types (and intended classes). */
export function dependenciesOf(root: Composite, lookup: ComponentLookup): Set<string> {
  const seen = new Set<string>();
  const visit = (ref: string) => {
    const component = ref.startsWith('#') ? undefined : lookup(ref);
    if (!component || seen.has(component.$id)) return;
    seen.add(component.$id);
    refsOf(component).forEach(visit);
  };
  refsOf(root).forEach(visit);
  return seen;
}

function refsOf(node: Composite): string[] {
  const fields = Object.values(node.definitions ?? {}).flatMap((d) => Object.values(d.properties ?? {}));
  return [...node.allOf.map((r) => r.$ref), ...(node['meta:intendedToExtend'] ?? []), ...fields.flatMap(fieldRefs)];
}

function fieldRefs(field: XdmField): string[] {
  const nested = [...Object.values(field.properties ?? {}), ...(field.items ? [field.items] : []), ...(typeof field.additionalProperties === 'object' ? [field.additionalProperties] : [])];
  return [...(field.$ref ? [field.$ref] : []), ...nested.flatMap(fieldRefs)];
}

export interface Usage {
  resource: 'schema' | 'class' | 'field group' | 'data type';
  $id: string;
  title: string;
}

const RESOURCE_NAMES = { classes: 'class', mixins: 'field group', datatypes: 'data type', behaviors: 'class' } as const;

/** The first schema, else the first tenant component, that builds on `targetId` (what blocks its deletion). */
export function findUser(targetId: string, schemas: readonly XdmSchemaDocument[], components: readonly XdmComponent[], lookup: ComponentLookup): Usage | undefined {
  const schema = schemas.find((s) => dependenciesOf(s, lookup).has(targetId));
  if (schema) return { resource: 'schema', $id: schema.$id, title: schema.title };
  const component = components.find((c) => c.$id !== targetId && dependenciesOf(c, lookup).has(targetId));
  return component && { resource: RESOURCE_NAMES[component['meta:resourceType']], $id: component.$id, title: component.title };
}

/**
 * The schemas a changed component reaches, checked against the change: each must still compose
 * with the new component (`after`), and a Profile-enabled one may only gain fields.
 */
export function schemasAffectedBy<S extends XdmSchemaDocument>(componentId: string, schemas: readonly S[], before: ComponentLookup, after: ComponentLookup): S[] {
  const affected = schemas.filter((s) => dependenciesOf(s, before).has(componentId));
  for (const s of affected) inSchema(s, () => assertAllowedChange(resolveSchema(s, before), resolveSchema(s, after)));
  return affected;
}

/** Names the schema in a domain error raised while checking it. */
function inSchema(schema: XdmSchemaDocument, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof DomainError) throw new DomainError(e.code, `Schema '${schema.title}' (${schema.$id}): ${e.message}`, e.field);
    throw e;
  }
}

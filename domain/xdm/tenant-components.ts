import { z } from 'zod';
import { DomainError } from '../shared/errors';
import { BEHAVIOR_IDS, combineLookups, findStandard, lookupOf } from './catalog';
import { nextVersion, resolveComponent } from './compose';
import { assertUnchanged, parseInput, unprocessable } from './input';
import type { ComponentLookup, TenantKind, XdmComponent, XdmDefinition, XdmField, XdmRef, XdmResourceType } from './types';

/**
 * Tenant classes, field groups and data types (`/tenant/classes|fieldgroups|datatypes`): validated
 * into the same XdmComponent shape as the standard catalogue, so resolution treats both alike.
 */

const definitionInput = z.looseObject({
  properties: z.record(z.string(), z.unknown()),
  required: z.array(z.string()).optional(),
});

/** A class, field group or data type as AEP's create and replace requests carry it. */
export const componentInput = z.looseObject({
  title: z.string().min(1),
  description: z.string().optional(),
  type: z.literal('object').optional(),
  'meta:intendedToExtend': z.array(z.string().min(1)).optional(),
  definitions: z.record(z.string(), definitionInput),
  allOf: z.array(z.object({ $ref: z.string().min(1) })).min(1).optional(),
});
type ComponentInput = z.infer<typeof componentInput>;

export interface TenantContext {
  tenantId: string;
  /** The sandbox's tenant components, then the standard catalogue. */
  lookup: ComponentLookup;
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array']);
/** What a component's allOf may reference besides its own definitions. */
const ALLOWED_REFS: Record<TenantKind, XdmResourceType> = { classes: 'behaviors', mixins: 'mixins', datatypes: 'datatypes' };
const LOCAL = '#/definitions/';

/** A new (or, with a version, replaced) tenant component: fields well-formed, refs known, namespace rule kept. */
export function buildTenantComponent(kind: TenantKind, input: unknown, ids: { $id: string; 'meta:altId': string }, ctx: TenantContext, version = '1.0'): XdmComponent {
  const body = parseInput(componentInput, input, kind);
  for (const [name, def] of Object.entries(body.definitions)) checkFields(def.properties, '', `definitions.${name}`);
  const allOf = normalizeAllOf(kind, body, ctx.lookup);
  const intended = kind === 'mixins' ? normalizeIntended(body['meta:intendedToExtend'] ?? [], ctx.lookup) : undefined;
  if (intended) assertTenantNamespace(body.definitions, intended, ctx.tenantId);
  const component: XdmComponent = {
    ...ids,
    'meta:resourceType': kind,
    title: body.title,
    ...(body.description !== undefined ? { description: body.description } : {}),
    type: 'object',
    'meta:extensible': true,
    ...(kind === 'datatypes' ? {} : { 'meta:abstract': true }),
    ...(intended ? { 'meta:intendedToExtend': intended } : {}),
    'meta:extends': allOf.filter((r) => !r.$ref.startsWith(LOCAL)).map((r) => r.$ref),
    'meta:tenantNamespace': `_${ctx.tenantId}`,
    version,
    definitions: body.definitions as Record<string, XdmDefinition>,
    allOf,
  };
  // Unknown data types, cycles and conflicting paths surface here, before anything is stored.
  resolveComponent(component, combineLookups(lookupOf([component]), ctx.lookup));
  return component;
}

/** The next version of a tenant component from a PUT body or its patched document. */
export function reviseTenantComponent(cur: XdmComponent, candidate: unknown, ctx: TenantContext): XdmComponent {
  assertUnchanged(cur, candidate, ['$id', 'meta:altId', 'meta:resourceType']);
  const kind = cur['meta:resourceType'] as TenantKind;
  return buildTenantComponent(kind, candidate, { $id: cur.$id, 'meta:altId': cur['meta:altId'] }, ctx, nextVersion(cur.version ?? '1.0'));
}

const malformed = (path: string, where: string, rule: string): never => {
  throw new DomainError('VALIDATION', `Field '${path}' (${where}): ${rule}`, path);
};

function checkFields(props: Record<string, unknown>, prefix: string, where: string): void {
  for (const [name, field] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (!name || name.includes('.') || name.startsWith('$')) malformed(path, where, "a field name is not empty, has no '.' and does not start with '$'");
    checkField(field, path, where);
  }
}

function checkField(raw: unknown, path: string, where: string): void {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return malformed(path, where, 'a field definition is an object');
  const field = raw as XdmField;
  if (field.$ref !== undefined && typeof field.$ref !== 'string') malformed(path, where, '$ref must be a string');
  if (field.type !== undefined && !JSON_TYPES.has(field.type)) malformed(path, where, `type must be one of ${[...JSON_TYPES].join(', ')}`);
  if (!field.type && !field.$ref && !field.properties) malformed(path, where, 'a field needs a type or a $ref');
  if (field.properties !== undefined) {
    if (typeof field.properties !== 'object' || Array.isArray(field.properties)) malformed(path, where, 'properties must be an object');
    checkFields(field.properties, path, where);
  }
  if (field.type === 'array') {
    if (!field.items) malformed(path, where, 'an array needs items');
    checkField(field.items, `${path}[]`, where);
  }
  if (field.additionalProperties && typeof field.additionalProperties === 'object') checkField(field.additionalProperties, `${path}.*`, where);
}

/** allOf defaults to every local definition; other refs must be known and of the kind this component may build on. */
function normalizeAllOf(kind: TenantKind, body: ComponentInput, lookup: ComponentLookup): XdmRef[] {
  const allOf = body.allOf ?? Object.keys(body.definitions).map((name) => ({ $ref: `${LOCAL}${name}` }));
  const out = allOf.map(({ $ref }, i): XdmRef => {
    const field = `allOf[${i}].$ref`;
    if ($ref.startsWith(LOCAL)) {
      if (!body.definitions[$ref.slice(LOCAL.length)]) throw unprocessable(`'${$ref}' names no entry of definitions`, field);
      return { $ref };
    }
    const target = lookup($ref);
    if (!target) throw unprocessable(`Unknown component '${$ref}'`, field);
    if (target['meta:resourceType'] !== ALLOWED_REFS[kind]) throw unprocessable(`'${$ref}' is a ${target['meta:resourceType']} resource; the allOf of ${kind} takes ${ALLOWED_REFS[kind]}`, field);
    return { $ref: target.$id };
  });
  const behaviors = out.filter((r) => !r.$ref.startsWith(LOCAL));
  if (kind === 'classes' && behaviors.length !== 1) throw unprocessable(`A class extends exactly one behavior in allOf: ${Object.values(BEHAVIOR_IDS).join(' or ')}`, 'allOf');
  return out;
}

function normalizeIntended(ids: string[], lookup: ComponentLookup): string[] {
  return ids.map((id, i) => {
    const target = lookup(id);
    if (target?.['meta:resourceType'] !== 'classes' && target?.['meta:resourceType'] !== 'behaviors') throw unprocessable(`'${id}' is not a known class`, `meta:intendedToExtend[${i}]`);
    return target.$id;
  });
}

/** A field group that may extend a standard class keeps every field under `_{TENANT_ID}`, so it never collides with XDM's own. */
function assertTenantNamespace(definitions: ComponentInput['definitions'], intended: string[], tenantId: string): void {
  if (intended.length > 0 && !intended.some((id) => findStandard(id))) return;
  const ns = `_${tenantId}`;
  for (const [name, def] of Object.entries(definitions)) {
    const outside = Object.keys(def.properties).find((key) => key !== ns);
    if (outside !== undefined) {
      throw unprocessable(`Field '${outside}' (definitions.${name}) must be nested under '${ns}': a field group that extends a standard class keeps tenant fields in the tenant namespace`, outside);
    }
  }
}

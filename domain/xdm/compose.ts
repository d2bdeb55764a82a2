import { z } from 'zod';
import { DomainError } from '../shared/errors';
import { altIdOf } from './catalog-build';
import { parseInput, unprocessable } from './input';
import type { BreakingChange, ComponentLookup, ResolvedSchema, TenantKind, XdmComponent, XdmField, XdmSchemaDocument, XdmType } from './types';
import { xdmTypeOf } from './types';

/** Schema composition and resolution: pure functions over documents and a component lookup. */

/** AEP's tenant ids: `https://ns.adobe.com/{TENANT}/{kind}/<hex>` and `_{TENANT}.{kind}.<hex>`. */
export function tenantIds(tenantId: string, kind: TenantKind | 'schemas', hex: string): { $id: string; 'meta:altId': string } {
  if (!/^[A-Za-z0-9_]+$/.test(tenantId)) throw new DomainError('VALIDATION', `Invalid tenant id '${tenantId}'`);
  if (!/^[0-9a-f]+$/.test(hex)) throw new DomainError('VALIDATION', `Invalid ${kind} id '${hex}': lowercase hex expected`);
  const $id = `https://ns.adobe.com/${tenantId}/${kind}/${hex}`;
  return { $id, 'meta:altId': altIdOf($id) };
}

export const schemaIds = (tenantId: string, hex: string) => tenantIds(tenantId, 'schemas', hex);

/** "1.0" → "1.1", "1.9" → "1.10": AEP bumps the minor version on each change. */
export function nextVersion(version: string): string {
  const [major = '1', minor = '0'] = version.split('.');
  return `${major}.${Number(minor) + 1}`;
}

const compositionInput = z.looseObject({
  'meta:class': z.string().min(1).optional(),
  allOf: z.array(z.object({ $ref: z.string().min(1) })).min(1),
});

export interface SchemaComposition {
  classId: string;
  fieldGroupIds: string[];
}

interface Fields {
  properties: Record<string, XdmField>;
  required: string[];
}

/** Exactly one class; field groups known and intended for it; no two definitions of one path disagree. */
export function validateSchemaComposition(input: unknown, lookup: ComponentLookup): SchemaComposition {
  const { classId, fieldGroupIds } = compose(input, lookup);
  return { classId, fieldGroupIds };
}

function compose(input: unknown, lookup: ComponentLookup): SchemaComposition & Fields {
  const parsed = parseInput(compositionInput, input, 'schema');
  let cls: XdmComponent | undefined;
  const groups: { component: XdmComponent; field: string }[] = [];
  const seen = new Set<string>();
  for (const [i, { $ref }] of parsed.allOf.entries()) {
    const field = `allOf[${i}].$ref`;
    const component = lookup($ref);
    if (!component) throw unprocessable(`Unknown class or field group '${$ref}'`, field);
    if (seen.has(component.$id)) throw unprocessable(`'${$ref}' appears more than once in allOf`, field);
    seen.add(component.$id);
    const kind = component['meta:resourceType'];
    if (kind === 'mixins') groups.push({ component, field });
    else if (kind !== 'classes') throw unprocessable(`'${$ref}' is a ${kind === 'datatypes' ? 'data type' : 'behavior'}; allOf takes one class and field groups`, field);
    else if (cls) throw unprocessable(`A schema has exactly one class: '${$ref}' follows '${cls.$id}'`, field);
    else cls = component;
  }
  if (!cls) throw unprocessable('A schema needs exactly one class in allOf', 'allOf');
  const declared = parsed['meta:class'];
  if (declared && lookup(declared)?.$id !== cls.$id) throw unprocessable(`meta:class '${declared}' is not the class in allOf ('${cls.$id}')`, 'meta:class');
  const fits = new Set([cls.$id, ...(cls['meta:extends'] ?? [])]);
  for (const { component, field } of groups) {
    const intended = component['meta:intendedToExtend'] ?? [];
    if (intended.length > 0 && !intended.some((id) => fits.has(id))) {
      throw unprocessable(`Field group '${component.$id}' is not intended to extend class '${cls.$id}'`, field);
    }
  }
  const merged = [cls, ...groups.map((g) => g.component)].map((c) => componentFields(c, lookup, [])).reduce(mergeFields);
  return { classId: cls.$id, fieldGroupIds: groups.map((g) => g.component.$id), ...merged };
}

export interface SchemaInput {
  title: string;
  description?: string;
  allOf: { $ref: string }[];
  'meta:class'?: string;
  'meta:immutableTags'?: string[];
}

/** A tenant schema document (version 1.0 unless given) from a create or replace request, validated. */
export function buildSchemaDocument(input: SchemaInput, ids: { $id: string; 'meta:altId': string }, lookup: ComponentLookup, version = '1.0'): XdmSchemaDocument {
  const tags = input['meta:immutableTags'];
  const { classId, fieldGroupIds } = validateSchemaComposition(input, lookup);
  const classExtends = lookup(classId)?.['meta:extends'] ?? [];
  return {
    ...ids,
    'meta:resourceType': 'schemas',
    title: input.title,
    ...(input.description !== undefined ? { description: input.description } : {}),
    type: 'object',
    'meta:class': classId,
    'meta:extends': [...new Set([classId, ...classExtends, ...fieldGroupIds])],
    allOf: [classId, ...fieldGroupIds].map(($ref) => ({ $ref })),
    ...(tags?.length ? { 'meta:immutableTags': [...new Set(tags)] } : {}),
    version,
  };
}

/** The full view (`application/vnd.adobe.xed-full+json`): every allOf merged, data types inlined. */
export function resolveSchema(doc: XdmSchemaDocument, lookup: ComponentLookup): ResolvedSchema {
  const { classId, properties, required } = compose(doc, lookup);
  return {
    $id: doc.$id,
    'meta:altId': doc['meta:altId'],
    'meta:resourceType': 'schemas',
    title: doc.title,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    type: 'object',
    'meta:class': classId,
    'meta:extends': [...(doc['meta:extends'] ?? [])],
    ...(doc['meta:immutableTags'] ? { 'meta:immutableTags': [...doc['meta:immutableTags']] } : {}),
    version: doc.version,
    properties,
    ...(required.length ? { required } : {}),
  };
}

/** The fields of one class, field group or data type: its allOf merged, data types inlined. */
export function resolveComponent(component: XdmComponent, lookup: ComponentLookup): { properties: Record<string, XdmField>; required: string[] } {
  return componentFields(component, lookup, []);
}

function componentFields(component: XdmComponent, lookup: ComponentLookup, stack: string[]): Fields {
  if (stack.includes(component.$id)) throw unprocessable(`'${component.$id}' refers to itself (${[...stack, component.$id].join(' → ')})`);
  const inner = [...stack, component.$id];
  const parts = component.allOf.map(({ $ref }): Fields => {
    if ($ref.startsWith('#/definitions/')) {
      const def = component.definitions[$ref.slice('#/definitions/'.length)];
      if (!def) throw unprocessable(`'${component.$id}' refers to a missing definition '${$ref}'`);
      return { properties: resolveProperties(def.properties, lookup, inner, ''), required: [...(def.required ?? [])] };
    }
    const other = lookup($ref);
    if (!other) throw unprocessable(`'${component.$id}' refers to an unknown component '${$ref}'`);
    return componentFields(other, lookup, inner);
  });
  return parts.reduce(mergeFields, { properties: {}, required: [] });
}

const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

function resolveProperties(props: Record<string, XdmField>, lookup: ComponentLookup, stack: string[], prefix: string) {
  return Object.fromEntries(Object.entries(props).map(([key, field]) => [key, resolveField(field, lookup, stack, join(prefix, key))]));
}

function resolveField(field: XdmField, lookup: ComponentLookup, stack: string[], path: string): XdmField {
  const { $ref, properties, items, additionalProperties, ...rest } = field;
  const out: XdmField = clone(rest);
  if ($ref) {
    const dataType = lookup($ref);
    if (!dataType) throw unprocessable(`Unknown data type '${$ref}' at '${path}'`, path);
    const inlined = componentFields(dataType, lookup, stack);
    return {
      title: dataType.title,
      ...(dataType.description ? { description: dataType.description } : {}),
      ...out,
      type: 'object',
      'meta:referencedFrom': dataType.$id,
      properties: inlined.properties,
      ...(inlined.required.length ? { required: inlined.required } : {}),
    };
  }
  if (properties) out.properties = resolveProperties(properties, lookup, stack, path);
  if (items) out.items = resolveField(items, lookup, stack, `${path}[]`);
  if (additionalProperties !== undefined) {
    out.additionalProperties = typeof additionalProperties === 'boolean' ? additionalProperties : resolveField(additionalProperties, lookup, stack, `${path}.*`);
  }
  return out;
}

function mergeFields(a: Fields, b: Fields): Fields {
  return { properties: mergeProperties(a.properties, b.properties, ''), required: [...new Set([...a.required, ...b.required])] };
}

function mergeProperties(a: Record<string, XdmField>, b: Record<string, XdmField>, prefix: string): Record<string, XdmField> {
  const out = { ...a };
  for (const [key, field] of Object.entries(b)) out[key] = key in out ? mergeField(out[key], field, join(prefix, key)) : field;
  return out;
}

function mergeField(a: XdmField, b: XdmField, path: string): XdmField {
  const [ta, tb] = [xdmTypeOf(a), xdmTypeOf(b)];
  if (ta !== tb) throw unprocessable(`Conflicting definitions of '${path}': ${ta ?? 'untyped'} and ${tb ?? 'untyped'}`, path);
  if (ta === 'object') {
    const required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
    return { ...a, properties: mergeProperties(a.properties ?? {}, b.properties ?? {}, path), ...(required.length ? { required } : {}) };
  }
  if (ta === 'array' && a.items && b.items) return { ...a, items: mergeField(a.items, b.items, `${path}[]`) };
  return a;
}

function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  return value;
}

/**
 * Every object and leaf path of a resolved tree, dotted (`person.name.firstName`). Map contents
 * are data, so a map is a leaf. With `arrayItems`, array items appear as `path[]` and `path[].field`.
 */
export function fieldPaths(resolved: Pick<ResolvedSchema, 'properties'>, options: { arrayItems?: boolean } = {}): Map<string, XdmType> {
  const out = new Map<string, XdmType>();
  const visit = (path: string, field: XdmField) => {
    const type = xdmTypeOf(field);
    if (!type) return;
    out.set(path, type);
    if (type === 'object') walk(field.properties ?? {}, path);
    if (type === 'array' && options.arrayItems && field.items) visit(`${path}[]`, field.items);
  };
  const walk = (props: Record<string, XdmField>, prefix: string) => {
    for (const [key, field] of Object.entries(props)) visit(join(prefix, key), field);
  };
  walk(resolved.properties, '');
  return out;
}

/** The `/tenant/unions` view of one class: all given schemas' fields merged. */
export function unionSchema(schemas: readonly ResolvedSchema[], classId = schemas[0]?.['meta:class']): ResolvedSchema {
  if (!classId) throw unprocessable('A union needs a class or at least one schema');
  const other = schemas.find((s) => s['meta:class'] !== classId);
  if (other) throw unprocessable(`Schema '${other.$id}' has class '${other['meta:class']}', not '${classId}'`);
  const merged = schemas.reduce<Fields>((acc, s) => mergeFields(acc, { properties: s.properties, required: s.required ?? [] }), { properties: {}, required: [] });
  const $id = `${classId}__union`;
  return {
    $id,
    'meta:altId': altIdOf($id),
    'meta:resourceType': 'schemas',
    title: `Union schema of ${classId}`,
    type: 'object',
    'meta:class': classId,
    'meta:extends': [...new Set(schemas.flatMap((s) => s['meta:extends']))],
    'meta:immutableTags': ['union'],
    version: '1.0',
    properties: clone(merged.properties),
    ...(merged.required.length ? { required: merged.required } : {}),
  };
}

/** Paths removed or retyped from `before` to `after`; below a reported path nothing more is listed. */
export function breakingChanges(before: Pick<ResolvedSchema, 'properties'>, after: Pick<ResolvedSchema, 'properties'>): BreakingChange[] {
  const next = fieldPaths(after, { arrayItems: true });
  const changes: BreakingChange[] = [];
  const under = (path: string) => changes.some((c) => path.startsWith(`${c.path}.`) || path.startsWith(`${c.path}[]`));
  for (const [path, type] of fieldPaths(before, { arrayItems: true })) {
    if (under(path)) continue;
    const now = next.get(path);
    if (now === undefined) changes.push({ path, change: 'removed', before: type });
    else if (now !== type) changes.push({ path, change: 'retyped', before: type, after: now });
  }
  return changes;
}

/** Once a schema is enabled for Profile (tag 'union'), the tag stays and changes must be additive. */
export function assertAllowedChange(before: ResolvedSchema, after: ResolvedSchema): void {
  if (!before['meta:immutableTags']?.includes('union')) return;
  if (!after['meta:immutableTags']?.includes('union')) throw unprocessable("The 'union' tag of a Profile-enabled schema cannot be removed", 'meta:immutableTags');
  if (after['meta:class'] !== before['meta:class']) throw unprocessable('The class of a Profile-enabled schema cannot change', 'meta:class');
  const [first, ...more] = breakingChanges(before, after);
  if (first) {
    const what = first.change === 'removed' ? 'removes' : `changes the type (${first.before} → ${first.after}) of`;
    throw unprocessable(`Only additive changes are allowed on a Profile-enabled schema: the change ${what} '${first.path}'${more.length ? ` and ${more.length} more` : ''}`, first.path);
  }
}

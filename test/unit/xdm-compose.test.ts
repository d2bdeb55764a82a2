import { DomainError } from '../../domain/shared/errors';
import {
  BEHAVIOR_IDS,
  COMMERCE_FIELD_GROUP_ID,
  DATA_TYPE_IDS,
  EXPERIENCE_EVENT_CLASS_ID,
  IDENTITY_MAP_FIELD_GROUP_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS as FG,
  altIdOf,
  assertAllowedChange,
  breakingChanges,
  buildSchemaDocument,
  combineLookups,
  fieldPaths,
  findStandard,
  nextVersion,
  resolveSchema,
  schemaIds,
  tenantIds,
  unionSchema,
  validateSchemaComposition,
} from '../../domain/xdm';
import type { ComponentLookup, JsonType, XdmComponent, XdmSchemaDocument } from '../../domain/xdm';

const PROFILE_GROUPS = [FG.personalDetails, FG.personDetails, FG.loyaltyDetails, IDENTITY_MAP_FIELD_GROUP_ID];

function doc(hex: string, refs: string[], extra: Partial<XdmSchemaDocument> = {}): XdmSchemaDocument {
  return {
    ...schemaIds('acme', hex),
    title: `Schema ${hex}`,
    type: 'object',
    'meta:class': refs[0],
    'meta:extends': refs,
    allOf: refs.map(($ref) => ({ $ref })),
    version: '1.0',
    ...extra,
  };
}

/** A tenant field group putting `_acme.<field>` of the given type on profiles. */
function tenantGroup(name: string, fields: Record<string, JsonType>): XdmComponent {
  const $id = `https://ns.adobe.com/acme/mixins/${name}`;
  return {
    $id,
    'meta:altId': altIdOf($id),
    'meta:resourceType': 'mixins',
    title: name,
    type: 'object',
    'meta:intendedToExtend': [PROFILE_CLASS_ID],
    definitions: {
      customFields: {
        properties: { _acme: { type: 'object', properties: Object.fromEntries(Object.entries(fields).map(([k, type]) => [k, { type }])) } },
      },
    },
    allOf: [{ $ref: '#/definitions/customFields' }],
  };
}
const withTenant = (...groups: XdmComponent[]): ComponentLookup =>
  combineLookups((id) => groups.find((g) => g.$id === id || g['meta:altId'] === id), findStandard);

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('schemaIds / nextVersion', () => {
  it('builds AEP tenant ids', () => {
    expect(schemaIds('acme', '0a1b2c')).toEqual({
      $id: 'https://ns.adobe.com/acme/schemas/0a1b2c',
      'meta:altId': '_acme.schemas.0a1b2c',
    });
    expect(domainError(() => schemaIds('acme', 'XYZ')).code).toBe('VALIDATION');
  });
  it('bumps the minor version', () => {
    expect(nextVersion('1.0')).toBe('1.1');
    expect(nextVersion('1.9')).toBe('1.10');
  });
});

describe('validateSchemaComposition', () => {
  const allOf = (...refs: string[]) => ({ title: 't', allOf: refs.map(($ref) => ({ $ref })) });

  it('returns the class and field groups', () => {
    expect(validateSchemaComposition(allOf(PROFILE_CLASS_ID, ...PROFILE_GROUPS), findStandard)).toEqual({
      classId: PROFILE_CLASS_ID,
      fieldGroupIds: PROFILE_GROUPS,
    });
  });

  it('accepts altIds and returns canonical $ids', () => {
    expect(validateSchemaComposition(allOf('_xdm.context.profile', '_xdm.context.identitymap'), findStandard)).toEqual({
      classId: PROFILE_CLASS_ID,
      fieldGroupIds: [IDENTITY_MAP_FIELD_GROUP_ID],
    });
  });

  it.each([
    ['no class', allOf(FG.personDetails), 'allOf', /exactly one class/],
    ['two classes', allOf(PROFILE_CLASS_ID, FG.personDetails, EXPERIENCE_EVENT_CLASS_ID), 'allOf[2].$ref', /exactly one class/],
    ['an unknown $ref', allOf(PROFILE_CLASS_ID, FG.personDetails, 'https://ns.adobe.com/acme/mixins/nope'), 'allOf[2].$ref', /https:\/\/ns\.adobe\.com\/acme\/mixins\/nope/],
    ['a field group for another class', allOf(PROFILE_CLASS_ID, COMMERCE_FIELD_GROUP_ID), 'allOf[1].$ref', /not intended to extend/],
    ['a data type', allOf(PROFILE_CLASS_ID, DATA_TYPE_IDS.address), 'allOf[1].$ref', /data type/],
    ['a duplicate', allOf(PROFILE_CLASS_ID, FG.personDetails, FG.personDetails), 'allOf[2].$ref', /more than once/],
    ['a meta:class that differs', { ...allOf(PROFILE_CLASS_ID), 'meta:class': EXPERIENCE_EVENT_CLASS_ID }, 'meta:class', /meta:class/],
  ])('rejects %s with UNPROCESSABLE', (_name, input, field, message) => {
    const err = domainError(() => validateSchemaComposition(input, findStandard));
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('rejects a malformed allOf with VALIDATION', () => {
    expect(domainError(() => validateSchemaComposition({ title: 't' }, findStandard))).toMatchObject({ code: 'VALIDATION', field: 'allOf' });
    expect(domainError(() => validateSchemaComposition({ allOf: [{ ref: 'x' }] }, findStandard))).toMatchObject({ code: 'VALIDATION', field: 'allOf[0].$ref' });
    expect(domainError(() => validateSchemaComposition({ allOf: [] }, findStandard)).code).toBe('VALIDATION');
  });

  it('accepts field groups meant for any class and those meant for the class', () => {
    expect(validateSchemaComposition(allOf(EXPERIENCE_EVENT_CLASS_ID, IDENTITY_MAP_FIELD_GROUP_ID, COMMERCE_FIELD_GROUP_ID, FG.personalDetails), findStandard).fieldGroupIds).toHaveLength(3);
  });

  it('rejects field groups that define one path with different types', () => {
    const lookup = withTenant(tenantGroup('a', { score: 'number' }), tenantGroup('b', { score: 'string' }));
    const err = domainError(() => validateSchemaComposition(allOf(PROFILE_CLASS_ID, 'https://ns.adobe.com/acme/mixins/a', 'https://ns.adobe.com/acme/mixins/b'), lookup));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: '_acme.score' });
  });
});

describe('resolveSchema', () => {
  const profileDoc = doc('aa01', [PROFILE_CLASS_ID, ...PROFILE_GROUPS], { 'meta:immutableTags': ['union'] });
  const resolved = resolveSchema(profileDoc, findStandard);

  it('merges the class and the four field groups into one properties tree', () => {
    expect(Object.keys(resolved.properties).sort()).toEqual(
      ['_id', 'createdByBatchID', 'faxPhone', 'homeAddress', 'homePhone', 'identityMap', 'loyalty', 'mobilePhone', 'modifiedByBatchID', 'person', 'personID', 'personalEmail', 'repositoryCreatedBy', 'repositoryLastModifiedBy'].sort(),
    );
    expect(resolved).toMatchObject({
      $id: 'https://ns.adobe.com/acme/schemas/aa01',
      'meta:altId': '_acme.schemas.aa01',
      'meta:resourceType': 'schemas',
      type: 'object',
      'meta:class': PROFILE_CLASS_ID,
      'meta:extends': [PROFILE_CLASS_ID, ...PROFILE_GROUPS],
      'meta:immutableTags': ['union'],
      version: '1.0',
    });
  });

  it('inlines data types, nested ones too', () => {
    expect(JSON.stringify(resolved)).not.toContain('"$ref"');
    const home = resolved.properties.homeAddress;
    expect(home).toMatchObject({ type: 'object', title: 'Home address', 'meta:referencedFrom': DATA_TYPE_IDS.address });
    expect(home.properties?.countryCode).toMatchObject({ type: 'string', pattern: '^[A-Z]{2}$' });
    expect(resolved.properties.personalEmail.properties?.address).toMatchObject({ type: 'string', format: 'email' });
    expect(resolved.properties.mobilePhone.properties?.number).toMatchObject({ type: 'string' });
    const person = resolved.properties.person;
    expect(person.properties?.name).toMatchObject({ 'meta:referencedFrom': DATA_TYPE_IDS.personName });
    expect(person.properties?.name.properties?.firstName).toMatchObject({ type: 'string' });
    expect(person.properties?.birthDate).toMatchObject({ type: 'string', format: 'date' });
    expect(person.properties?.gender.enum).toContain('female');
    const items = resolved.properties.identityMap.additionalProperties;
    expect(typeof items === 'object' && items.items).toMatchObject({ 'meta:referencedFrom': DATA_TYPE_IDS.identityItem, required: ['id'] });
  });

  it('does not share objects with the catalogue', () => {
    resolved.properties.person.properties!.gender.enum!.push('x');
    expect(resolveSchema(profileDoc, findStandard).properties.person.properties?.gender.enum).not.toContain('x');
  });

  it('carries the class required fields and the class-included identityMap of events', () => {
    const event = resolveSchema(doc('ee01', [EXPERIENCE_EVENT_CLASS_ID, COMMERCE_FIELD_GROUP_ID]), findStandard);
    expect(event.required).toEqual(['_id', 'timestamp']);
    expect(event.properties.identityMap['meta:xdmType']).toBe('map');
    expect(event.properties.timestamp).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('refuses unknown data types and self-referencing components', () => {
    const broken = tenantGroup('broken', {});
    broken.definitions.customFields.properties._acme.properties = { home: { $ref: 'https://ns.adobe.com/acme/datatypes/missing' } };
    const err = domainError(() => resolveSchema(doc('bb01', [PROFILE_CLASS_ID, broken.$id]), withTenant(broken)));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: '_acme.home' });
    const loop: XdmComponent = { ...tenantGroup('loop', {}), allOf: [{ $ref: 'https://ns.adobe.com/acme/mixins/loop' }] };
    expect(domainError(() => resolveSchema(doc('bb02', [PROFILE_CLASS_ID, loop.$id]), withTenant(loop))).message).toMatch(/refers to itself/);
  });
});

describe('fieldPaths', () => {
  const paths = fieldPaths(resolveSchema(doc('aa02', [PROFILE_CLASS_ID, ...PROFILE_GROUPS]), findStandard));

  it.each([
    ['_id', 'string'],
    ['homeAddress', 'object'],
    ['homeAddress.countryCode', 'string'],
    ['personalEmail.address', 'string'],
    ['personalEmail.primary', 'boolean'],
    ['mobilePhone.number', 'string'],
    ['person.name.firstName', 'string'],
    ['person.birthDate', 'date'],
    ['person.birthYear', 'integer'],
    ['loyalty.points', 'number'],
    ['loyalty.joinDate', 'date-time'],
    ['loyalty.loyaltyID', 'array'],
    ['identityMap', 'map'],
  ])('%s is %s', (path, type) => {
    expect(paths.get(path)).toBe(type);
  });

  it('treats maps as leaves and leaves array items out unless asked', () => {
    expect([...paths.keys()].some((p) => p.startsWith('identityMap.'))).toBe(false);
    expect(paths.has('loyalty.pointsExpiration[].pointsExpiring')).toBe(false);
    const withItems = fieldPaths(resolveSchema(doc('ee02', [EXPERIENCE_EVENT_CLASS_ID, COMMERCE_FIELD_GROUP_ID]), findStandard), { arrayItems: true });
    expect(withItems.get('productListItems')).toBe('array');
    expect(withItems.get('productListItems[]')).toBe('object');
    expect(withItems.get('productListItems[].SKU')).toBe('string');
    expect(withItems.get('commerce.order.priceTotal')).toBe('number');
  });
});

describe('unionSchema', () => {
  const a = tenantGroup('a', { score: 'number' });
  const b = tenantGroup('b', { tier: 'string' });
  const c = tenantGroup('c', { score: 'string' });
  const lookup = withTenant(a, b, c);
  const s1 = resolveSchema(doc('c001', [PROFILE_CLASS_ID, FG.personDetails, a.$id]), lookup);
  const s2 = resolveSchema(doc('c002', [PROFILE_CLASS_ID, FG.loyaltyDetails, b.$id, IDENTITY_MAP_FIELD_GROUP_ID]), lookup);

  it('merges the fields of all schemas of a class', () => {
    const union = unionSchema([s1, s2]);
    expect(union).toMatchObject({ $id: `${PROFILE_CLASS_ID}__union`, 'meta:altId': '_xdm.context.profile__union', 'meta:class': PROFILE_CLASS_ID });
    const paths = fieldPaths(union);
    for (const p of ['person.birthDate', 'loyalty.points', 'identityMap', '_acme.score', '_acme.tier']) expect(paths.has(p)).toBe(true);
    expect(union['meta:extends']).toEqual(expect.arrayContaining([FG.personDetails, FG.loyaltyDetails, a.$id, b.$id]));
  });

  it('refuses a path with two types, naming it', () => {
    const s3 = resolveSchema(doc('c003', [PROFILE_CLASS_ID, c.$id]), lookup);
    const err = domainError(() => unionSchema([s1, s2, s3]));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: '_acme.score' });
    expect(err.message).toContain('_acme.score');
  });

  it('refuses schemas of another class; an empty union needs a class', () => {
    const event = resolveSchema(doc('e001', [EXPERIENCE_EVENT_CLASS_ID]), findStandard);
    expect(domainError(() => unionSchema([s1, event])).code).toBe('UNPROCESSABLE');
    expect(domainError(() => unionSchema([])).code).toBe('UNPROCESSABLE');
    expect(unionSchema([], PROFILE_CLASS_ID).properties).toEqual({});
  });
});

describe('breakingChanges / assertAllowedChange', () => {
  const a = tenantGroup('a', { score: 'number', level: 'string' });
  const a2 = tenantGroup('a', { score: 'string' });
  const v1 = resolveSchema(doc('d001', [PROFILE_CLASS_ID, FG.loyaltyDetails, a.$id], { 'meta:immutableTags': ['union'] }), withTenant(a));

  it('is empty for additive changes', () => {
    const v2 = resolveSchema(doc('d001', [PROFILE_CLASS_ID, FG.loyaltyDetails, a.$id, FG.personDetails], { 'meta:immutableTags': ['union'], version: '1.1' }), withTenant(a));
    expect(breakingChanges(v1, v2)).toEqual([]);
    expect(() => assertAllowedChange(v1, v2)).not.toThrow();
  });

  it('lists removed and retyped paths, the top-most only', () => {
    const v2 = resolveSchema(doc('d001', [PROFILE_CLASS_ID, a2.$id]), withTenant(a2));
    expect(breakingChanges(v1, v2)).toEqual([
      { path: 'loyalty', change: 'removed', before: 'object' },
      { path: '_acme.score', change: 'retyped', before: 'number', after: 'string' },
      { path: '_acme.level', change: 'removed', before: 'string' },
    ]);
  });

  it('refuses non-additive changes and dropping the union tag on Profile-enabled schemas', () => {
    const removed = resolveSchema(doc('d001', [PROFILE_CLASS_ID, a.$id], { 'meta:immutableTags': ['union'] }), withTenant(a));
    expect(domainError(() => assertAllowedChange(v1, removed))).toMatchObject({ code: 'UNPROCESSABLE', field: 'loyalty' });
    const untagged = { ...v1, 'meta:immutableTags': undefined };
    expect(domainError(() => assertAllowedChange(v1, untagged))).toMatchObject({ field: 'meta:immutableTags' });
    expect(() => assertAllowedChange({ ...v1, 'meta:immutableTags': undefined }, removed)).not.toThrow();
  });
});

describe('tenantIds and behaviours in schemas', () => {
  it('builds AEP ids for every tenant kind', () => {
    expect(tenantIds('acme', 'mixins', 'ab')).toEqual({ $id: 'https://ns.adobe.com/acme/mixins/ab', 'meta:altId': '_acme.mixins.ab' });
    expect(tenantIds('acme', 'datatypes', 'cd')['meta:altId']).toBe('_acme.datatypes.cd');
    expect(domainError(() => tenantIds('ac me', 'classes', 'ab')).code).toBe('VALIDATION');
  });
  it('refuses a behaviour in a schema allOf', () => {
    const err = domainError(() => validateSchemaComposition({ allOf: [{ $ref: PROFILE_CLASS_ID }, { $ref: BEHAVIOR_IDS.record }] }, findStandard));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: 'allOf[1].$ref' });
    expect(err.message).toMatch(/behavior/);
  });
});

describe('buildSchemaDocument', () => {
  it('takes a version and immutable tags (PUT and enabled creates)', () => {
    const doc = buildSchemaDocument({ title: 'x', allOf: [{ $ref: PROFILE_CLASS_ID }], 'meta:immutableTags': ['union', 'union'] }, schemaIds('acme', 'f00e'), findStandard, '1.4');
    expect(doc).toMatchObject({ version: '1.4', 'meta:immutableTags': ['union'] });
  });

  it('builds a version 1.0 document from a create request', () => {
    const created = buildSchemaDocument(
      { title: 'Loyalty members', allOf: [{ $ref: PROFILE_CLASS_ID }, { $ref: FG.loyaltyDetails }] },
      schemaIds('acme', 'f00d'),
      findStandard,
    );
    expect(created).toEqual({
      $id: 'https://ns.adobe.com/acme/schemas/f00d',
      'meta:altId': '_acme.schemas.f00d',
      'meta:resourceType': 'schemas',
      title: 'Loyalty members',
      type: 'object',
      'meta:class': PROFILE_CLASS_ID,
      'meta:extends': [PROFILE_CLASS_ID, 'https://ns.adobe.com/xdm/data/record', FG.loyaltyDetails],
      allOf: [{ $ref: PROFILE_CLASS_ID }, { $ref: FG.loyaltyDetails }],
      version: '1.0',
    });
  });
});

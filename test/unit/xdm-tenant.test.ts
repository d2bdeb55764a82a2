import { DomainError } from '../../domain/shared/errors';
import {
  BEHAVIOR_IDS,
  DATA_TYPE_IDS,
  EXPERIENCE_EVENT_CLASS_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS as FG,
  buildTenantComponent,
  combineLookups,
  dependenciesOf,
  fieldPaths,
  findStandard,
  findUser,
  lookupOf,
  resolveSchema,
  reviseSchemaDocument,
  reviseTenantComponent,
  schemaIds,
  schemasAffectedBy,
  tenantIds,
} from '../../domain/xdm';
import type { ComponentLookup, TenantKind, XdmComponent, XdmSchemaDocument } from '../../domain/xdm';

const TENANT = 'acme';

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a DomainError');
}

/** Builds components one after another, each seeing the ones before (as a sandbox's registry does). */
class Registry {
  components: XdmComponent[] = [];
  get lookup(): ComponentLookup {
    return combineLookups(lookupOf(this.components), findStandard);
  }
  add(kind: TenantKind, hex: string, input: object): XdmComponent {
    const c = buildTenantComponent(kind, input, tenantIds(TENANT, kind, hex), { tenantId: TENANT, lookup: this.lookup });
    this.components.push(c);
    return c;
  }
  replace(next: XdmComponent): ComponentLookup {
    return combineLookups(lookupOf([next]), this.lookup);
  }
}

const fieldGroup = (fields: object, intended = [PROFILE_CLASS_ID]) => ({
  title: 'Loyalty extras',
  'meta:intendedToExtend': intended,
  definitions: { customFields: { properties: { _acme: { type: 'object', properties: fields } } } },
  allOf: [{ $ref: '#/definitions/customFields' }],
});

function schema(hex: string, refs: string[], extra: Partial<XdmSchemaDocument> = {}): XdmSchemaDocument {
  return { ...schemaIds(TENANT, hex), title: `Schema ${hex}`, type: 'object', 'meta:class': refs[0], 'meta:extends': refs, allOf: refs.map(($ref) => ({ $ref })), version: '1.0', ...extra };
}

describe('buildTenantComponent', () => {
  it('builds a field group with AEP ids, the tenant namespace and version 1.0', () => {
    const r = new Registry();
    const fg = r.add('mixins', 'a1', fieldGroup({ score: { type: 'number' } }));
    expect(fg).toMatchObject({
      $id: 'https://ns.adobe.com/acme/mixins/a1',
      'meta:altId': '_acme.mixins.a1',
      'meta:resourceType': 'mixins',
      'meta:intendedToExtend': [PROFILE_CLASS_ID],
      'meta:tenantNamespace': '_acme',
      version: '1.0',
    });
    const resolved = resolveSchema(schema('51', [PROFILE_CLASS_ID, fg.$id]), r.lookup);
    expect(fieldPaths(resolved).get('_acme.score')).toBe('number');
  });

  it('refuses a field outside _{TENANT} in a field group for a standard class, naming the field', () => {
    const r = new Registry();
    const input = { ...fieldGroup({}), definitions: { customFields: { properties: { loyaltyScore: { type: 'number' } } } } };
    const err = domainError(() => r.add('mixins', 'a2', input));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: 'loyaltyScore' });
    expect(err.message).toMatch(/loyaltyScore.*_acme/);
    // meant for any class (no intendedToExtend) counts as standard classes too
    expect(domainError(() => r.add('mixins', 'a3', { ...input, 'meta:intendedToExtend': [] })).field).toBe('loyaltyScore');
  });

  it('lets tenant classes, their field groups and data types use any field names', () => {
    const r = new Registry();
    const cls = r.add('classes', 'c1', { title: 'Store', definitions: { store: { properties: { storeId: { type: 'string' } } } }, allOf: [{ $ref: BEHAVIOR_IDS.record }, { $ref: '#/definitions/store' }] });
    expect(cls['meta:extends']).toEqual([BEHAVIOR_IDS.record]);
    const fg = r.add('mixins', 'c2', { ...fieldGroup({}), 'meta:intendedToExtend': [cls['meta:altId']], definitions: { f: { properties: { floorArea: { type: 'number' } } } }, allOf: undefined });
    expect(fg['meta:intendedToExtend']).toEqual([cls.$id]);
    expect(fg.allOf).toEqual([{ $ref: '#/definitions/f' }]);
    const resolved = resolveSchema(schema('52', [cls.$id, fg.$id]), r.lookup);
    expect([...fieldPaths(resolved).keys()].sort()).toEqual(['_id', 'floorArea', 'storeId']);
  });

  it('resolves tenant data types referenced from a field group, nested in arrays too', () => {
    const r = new Registry();
    const dt = r.add('datatypes', 'd1', { title: 'Visit', definitions: { visit: { properties: { store: { type: 'string' }, at: { type: 'string', format: 'date-time' } } } } });
    expect(dt).not.toHaveProperty('meta:abstract');
    const fg = r.add('mixins', 'd2', fieldGroup({ lastVisit: { $ref: dt.$id }, visits: { type: 'array', items: { $ref: dt['meta:altId'] } }, home: { $ref: DATA_TYPE_IDS.address } }));
    const paths = fieldPaths(resolveSchema(schema('53', [PROFILE_CLASS_ID, fg.$id]), r.lookup), { arrayItems: true });
    expect(paths.get('_acme.lastVisit.at')).toBe('date-time');
    expect(paths.get('_acme.visits[].store')).toBe('string');
    expect(paths.get('_acme.home.city')).toBe('string');
  });

  it.each([
    ['a field without type or $ref', fieldGroup({ score: {} }), 'VALIDATION', '_acme.score', /type or a \$ref/],
    ['an unknown type', fieldGroup({ score: { type: 'float' } }), 'VALIDATION', '_acme.score', /type must be one of/],
    ['an array without items', fieldGroup({ tags: { type: 'array' } }), 'VALIDATION', '_acme.tags', /items/],
    ['a dotted field name', fieldGroup({ 'a.b': { type: 'string' } }), 'VALIDATION', '_acme.a.b', /'\.'/],
    ['no title', { ...fieldGroup({}), title: '' }, 'VALIDATION', 'title', /title/],
    ['an unknown data type', fieldGroup({ x: { $ref: 'https://ns.adobe.com/acme/datatypes/none' } }), 'UNPROCESSABLE', '_acme.x', /Unknown data type/],
    ['an unknown intended class', { ...fieldGroup({}), 'meta:intendedToExtend': ['https://ns.adobe.com/acme/classes/none'] }, 'UNPROCESSABLE', 'meta:intendedToExtend[0]', /not a known class/],
    ['a missing local definition', { ...fieldGroup({}), allOf: [{ $ref: '#/definitions/nope' }] }, 'UNPROCESSABLE', 'allOf[0].$ref', /definitions/],
    ['a class in a field group allOf', { ...fieldGroup({}), allOf: [{ $ref: PROFILE_CLASS_ID }] }, 'UNPROCESSABLE', 'allOf[0].$ref', /mixins/],
  ])('refuses %s', (_name, input, code, field, message) => {
    const err = domainError(() => new Registry().add('mixins', 'e1', input));
    expect(err).toMatchObject({ code, field });
    expect(err.message).toMatch(message);
  });

  it('requires a class to extend exactly one behavior', () => {
    const input = { title: 'C', definitions: { c: { properties: { a: { type: 'string' } } } } };
    expect(domainError(() => new Registry().add('classes', 'f1', input))).toMatchObject({ code: 'UNPROCESSABLE', field: 'allOf' });
    const both = { ...input, allOf: [{ $ref: BEHAVIOR_IDS.record }, { $ref: BEHAVIOR_IDS.timeSeries }, { $ref: '#/definitions/c' }] };
    expect(domainError(() => new Registry().add('classes', 'f2', both)).message).toMatch(/exactly one behavior/);
  });

  it('refuses a data type that refers to itself', () => {
    const r = new Registry();
    const dt = r.add('datatypes', 'a0', { title: 'Node', definitions: { n: { properties: { name: { type: 'string' } } } } });
    const candidate = { ...dt, definitions: { n: { properties: { next: { $ref: dt.$id } } } } };
    expect(domainError(() => reviseTenantComponent(dt, candidate, { tenantId: TENANT, lookup: r.lookup })).message).toMatch(/refers to itself/);
  });
});

describe('reviseTenantComponent', () => {
  it('bumps the version and keeps the ids; ids and kind cannot change', () => {
    const r = new Registry();
    const fg = r.add('mixins', 'b1', fieldGroup({ score: { type: 'number' } }));
    const next = reviseTenantComponent(fg, { ...fg, title: 'Renamed' }, { tenantId: TENANT, lookup: r.lookup });
    expect(next).toMatchObject({ $id: fg.$id, 'meta:altId': fg['meta:altId'], title: 'Renamed', version: '1.1' });
    for (const [key, value] of [['$id', 'https://ns.adobe.com/acme/mixins/other'], ['meta:altId', '_acme.mixins.other'], ['meta:resourceType', 'datatypes']]) {
      expect(domainError(() => reviseTenantComponent(fg, { ...fg, [key]: value }, { tenantId: TENANT, lookup: r.lookup }))).toMatchObject({ code: 'UNPROCESSABLE', field: key });
    }
  });
});

describe('reviseSchemaDocument', () => {
  const base = schema('5001', [PROFILE_CLASS_ID, FG.loyaltyDetails]);

  it('adds a field group (AEP PATCH) and bumps the version, recomputing meta:extends', () => {
    const next = reviseSchemaDocument(base, { ...base, allOf: [...base.allOf, { $ref: FG.personDetails }] }, findStandard);
    expect(next).toMatchObject({ version: '1.1', $id: base.$id, 'meta:extends': [PROFILE_CLASS_ID, BEHAVIOR_IDS.record, FG.loyaltyDetails, FG.personDetails] });
    expect(reviseSchemaDocument(next, next, findStandard).version).toBe('1.2');
  });

  it('enables Profile and then keeps the union tag, even when a PUT leaves it out', () => {
    const enabled = reviseSchemaDocument(base, { ...base, 'meta:immutableTags': ['union'] }, findStandard);
    expect(enabled['meta:immutableTags']).toEqual(['union']);
    const { 'meta:immutableTags': _tags, ...put } = enabled;
    expect(reviseSchemaDocument(enabled, put, findStandard)['meta:immutableTags']).toEqual(['union']);
    expect(domainError(() => reviseSchemaDocument(enabled, { ...enabled, 'meta:immutableTags': [] }, findStandard))).toMatchObject({ field: 'meta:immutableTags' });
  });

  it('refuses removing a field group from a Profile-enabled schema, naming the field', () => {
    const enabled = { ...base, 'meta:immutableTags': ['union'] };
    const err = domainError(() => reviseSchemaDocument(enabled, { ...enabled, allOf: [{ $ref: PROFILE_CLASS_ID }] }, findStandard));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: 'loyalty' });
    expect(err.message).toMatch(/additive.*'loyalty'/);
    // without the tag the same change is fine
    expect(reviseSchemaDocument(base, { ...base, allOf: [{ $ref: PROFILE_CLASS_ID }] }, findStandard).allOf).toHaveLength(1);
  });

  it.each([
    ['$id', { $id: 'https://ns.adobe.com/acme/schemas/other' }, '$id'],
    ['meta:altId', { 'meta:altId': '_acme.schemas.other' }, 'meta:altId'],
    ['the class', { allOf: [{ $ref: EXPERIENCE_EVENT_CLASS_ID }], 'meta:class': EXPERIENCE_EVENT_CLASS_ID }, 'meta:class'],
  ])('refuses changing %s', (_name, change, field) => {
    expect(domainError(() => reviseSchemaDocument(base, { ...base, ...change }, findStandard))).toMatchObject({ code: 'UNPROCESSABLE', field });
  });

  it('refuses a malformed replacement with VALIDATION naming the field', () => {
    expect(domainError(() => reviseSchemaDocument(base, { ...base, title: 7 }, findStandard))).toMatchObject({ code: 'VALIDATION', field: 'title' });
  });
});

describe('usage and change impact', () => {
  const r = new Registry();
  const dt = r.add('datatypes', '0d', { title: 'Tier', definitions: { t: { properties: { name: { type: 'string' }, rank: { type: 'integer' } } } } });
  const fg = r.add('mixins', '0f', fieldGroup({ tier: { $ref: dt.$id }, score: { type: 'number' } }));
  const plain = schema('0a', [PROFILE_CLASS_ID, fg.$id]);
  const enabled = schema('0b', [PROFILE_CLASS_ID, FG.personDetails, fg.$id], { 'meta:immutableTags': ['union'] });
  const other = schema('0c', [PROFILE_CLASS_ID, FG.loyaltyDetails]);

  it('finds every component a schema builds on, transitively', () => {
    expect([...dependenciesOf(plain, r.lookup)].sort()).toEqual([PROFILE_CLASS_ID, dt.$id, fg.$id].sort());
    expect(dependenciesOf(fg, r.lookup).has(dt.$id)).toBe(true);
  });

  it('names the first schema, else component, that uses a component', () => {
    expect(findUser(fg.$id, [other, plain], r.components, r.lookup)).toEqual({ resource: 'schema', $id: plain.$id, title: plain.title });
    expect(findUser(dt.$id, [other], r.components, r.lookup)).toEqual({ resource: 'field group', $id: fg.$id, title: fg.title });
    expect(findUser(fg.$id, [other], r.components, r.lookup)).toBeUndefined();
  });

  it('returns the schemas an additive change reaches', () => {
    const next = reviseTenantComponent(fg, fieldGroup({ tier: { $ref: dt.$id }, score: { type: 'number' }, since: { type: 'string', format: 'date' } }), { tenantId: TENANT, lookup: r.lookup });
    expect(schemasAffectedBy(fg.$id, [plain, enabled, other], r.lookup, r.replace(next)).map((s) => s.$id)).toEqual([plain.$id, enabled.$id]);
  });

  it('refuses a breaking change to a field group of a Profile-enabled schema, naming schema and field', () => {
    const next = reviseTenantComponent(fg, fieldGroup({ tier: { $ref: dt.$id }, score: { type: 'string' } }), { tenantId: TENANT, lookup: r.lookup });
    const err = domainError(() => schemasAffectedBy(fg.$id, [plain, enabled], r.lookup, r.replace(next)));
    expect(err).toMatchObject({ code: 'UNPROCESSABLE', field: '_acme.score' });
    expect(err.message).toContain(enabled.$id);
    expect(schemasAffectedBy(fg.$id, [plain], r.lookup, r.replace(next))).toEqual([plain]);
  });

  it('sees a data type change through the field groups that use it', () => {
    const next = reviseTenantComponent(dt, { title: 'Tier', definitions: { t: { properties: { name: { type: 'string' } } } } }, { tenantId: TENANT, lookup: r.lookup });
    expect(domainError(() => schemasAffectedBy(dt.$id, [enabled], r.lookup, r.replace(next))).field).toBe('_acme.tier.rank');
  });

  it('refuses a field group change that no longer fits a schema class', () => {
    const next = reviseTenantComponent(fg, { ...fg, 'meta:intendedToExtend': [EXPERIENCE_EVENT_CLASS_ID] }, { tenantId: TENANT, lookup: r.lookup });
    expect(domainError(() => schemasAffectedBy(fg.$id, [plain], r.lookup, r.replace(next))).message).toMatch(/not intended to extend/);
  });
});

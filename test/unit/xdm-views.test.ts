import fc from 'fast-check';
import {
  IDENTITY_MAP_FIELD_GROUP_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS as FG,
  fieldPaths,
  findStandard,
  parseXedAccept,
  renderXed,
  resolveSchema,
  resolvedComponent,
  schemaIds,
  stripText,
  summaryOf,
  wantedVersion,
} from '../../domain/xdm';
import type { XdmField } from '../../domain/xdm';

const XED = 'application/vnd.adobe.xed';

describe('parseXedAccept', () => {
  it.each([
    [undefined, { full: false, notext: false, descriptors: false, idOnly: false }],
    ['application/json', { full: false, notext: false, descriptors: false, idOnly: false }],
    [`${XED}+json`, { full: false }],
    [`${XED}-full+json; version=1`, { full: true, version: '1' }],
    [`${XED}-notext+json`, { full: false, notext: true }],
    [`${XED}-full-notext+json;version=1.2`, { full: true, notext: true, version: '1.2' }],
    [`${XED}-full-desc+json; version=1`, { full: true, descriptors: true }],
    [`${XED}-id+json`, { idOnly: true, full: false }],
    [`text/html, ${XED}-FULL+JSON; version="1"`, { full: true, version: '1' }],
  ])('%s → %o', (accept, expected) => {
    expect(parseXedAccept(accept)).toMatchObject(expected);
  });
});

describe('wantedVersion', () => {
  it.each([
    ['1.3', undefined, '1.3'],
    ['1.3', '1', '1.3'],
    ['1.3', '1.0', '1.0'],
    ['1.3', '1.3', '1.3'],
    ['1.3', '2', undefined],
    ['1.3', 'latest', undefined],
  ])('current %s, asked %s → %s', (current, asked, expected) => {
    expect(wantedVersion(current, asked)).toBe(expected);
  });
});

describe('stripText', () => {
  const doc = {
    title: 'S',
    description: 'd',
    properties: {
      title: { title: 'A field named title', type: 'string', 'meta:enum': { description: 'kept: enum labels are data' } },
      description: { description: 'x', type: 'object', properties: { title: { type: 'string', description: 'y' } } },
    },
  };

  it('removes titles and descriptions but keeps field names and enum labels', () => {
    expect(stripText(doc)).toEqual({
      properties: {
        title: { type: 'string', 'meta:enum': { description: 'kept: enum labels are data' } },
        description: { type: 'object', properties: { title: { type: 'string' } } },
      },
    });
  });

  it('keeps every field path of a resolved schema (any tree)', () => {
    const leaf = fc.constantFrom<XdmField>({ type: 'string', title: 't' }, { type: 'number', description: 'd' }, { type: 'boolean' });
    const name = fc.constantFrom('title', 'description', 'a', 'b', 'properties');
    const tree = fc.letrec<{ field: XdmField }>((tie) => ({
      field: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.record({ title: fc.string(), type: fc.constant('object' as const), properties: fc.dictionary(name, tie('field'), { maxKeys: 3 }) }),
      ),
    })).field;
    fc.assert(
      fc.property(fc.dictionary(name, tree, { maxKeys: 4 }), (properties) => {
        const stripped = stripText({ properties });
        expect([...fieldPaths(stripped)]).toEqual([...fieldPaths({ properties })]);
        expect(JSON.stringify(stripped)).not.toMatch(/"title":"|"description":"/);
      }),
    );
  });
});

describe('renderXed', () => {
  const doc = { ...schemaIds('acme', 'a1'), title: 'S', type: 'object' as const, 'meta:class': PROFILE_CLASS_ID, 'meta:extends': [], allOf: [PROFILE_CLASS_ID, FG.personDetails, IDENTITY_MAP_FIELD_GROUP_ID].map(($ref) => ({ $ref })), version: '1.0' };
  const full = () => resolveSchema(doc, findStandard);

  it('gives refs, resolved, text-free and described views', () => {
    expect(renderXed(parseXedAccept(''), doc, full)).toBe(doc);
    expect(renderXed(parseXedAccept(`${XED}-full+json`), doc, full)).toHaveProperty('properties.person.properties.name.properties.firstName');
    const notext = renderXed(parseXedAccept(`${XED}-notext+json`), doc, full);
    expect(notext).not.toHaveProperty('title');
    expect(notext).toHaveProperty('allOf', doc.allOf);
    const fullNotext = JSON.stringify(renderXed(parseXedAccept(`${XED}-full-notext+json`), doc, full));
    expect(fullNotext).toContain('firstName');
    expect(fullNotext).not.toContain('"title"');
    const described = renderXed(parseXedAccept(`${XED}-full-desc+json`), doc, full, [{ '@type': 'xdm:descriptorIdentity' }]);
    expect(described).toMatchObject({ 'meta:descriptors': [{ '@type': 'xdm:descriptorIdentity' }], properties: { person: { type: 'object' } } });
  });

  it('summarises list items and resolves components', () => {
    expect(summaryOf({ ...doc, version: undefined })).toEqual({ $id: doc.$id, 'meta:altId': doc['meta:altId'], version: '1.0', title: 'S' });
    const personal = resolvedComponent(findStandard(FG.personalDetails)!, findStandard);
    expect(personal).not.toHaveProperty('definitions');
    expect(personal).toHaveProperty('properties.homeAddress.properties.city.type', 'string');
  });
});

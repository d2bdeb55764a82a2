import {
  BEHAVIOR_IDS,
  COMMERCE_FIELD_GROUP_ID,
  DATA_TYPE_IDS,
  IDENTITY_MAP_FIELD_GROUP_ID,
  EXPERIENCE_EVENT_CLASS_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS,
  STANDARD_BEHAVIORS,
  STANDARD_CLASSES,
  STANDARD_DATA_TYPES,
  STANDARD_FIELD_GROUPS,
  WEB_FIELD_GROUP_IDS,
  altIdOf,
  combineLookups,
  fieldPaths,
  findStandard,
  resolveSchema,
  schemaIds,
} from '../../domain/xdm';
import type { XdmComponent, XdmField } from '../../domain/xdm';

const all = [...STANDARD_BEHAVIORS, ...STANDARD_CLASSES, ...STANDARD_FIELD_GROUPS, ...STANDARD_DATA_TYPES];

function refsOf(field: XdmField): string[] {
  const nested = [
    ...Object.values(field.properties ?? {}),
    ...(field.items ? [field.items] : []),
    ...(typeof field.additionalProperties === 'object' ? [field.additionalProperties] : []),
  ];
  return [...(field.$ref ? [field.$ref] : []), ...nested.flatMap(refsOf)];
}
const componentRefs = (c: XdmComponent) => Object.values(c.definitions).flatMap((d) => Object.values(d.properties).flatMap(refsOf));

describe('standard XDM catalogue', () => {
  it('holds the documented $ids', () => {
    expect(STANDARD_CLASSES.map((c) => c.$id)).toEqual([PROFILE_CLASS_ID, EXPERIENCE_EVENT_CLASS_ID]);
    expect(STANDARD_FIELD_GROUPS.map((c) => c.$id)).toEqual(
      expect.arrayContaining([
        'https://ns.adobe.com/xdm/context/profile-personal-details',
        'https://ns.adobe.com/xdm/context/profile-person-details',
        'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details',
        'https://ns.adobe.com/xdm/context/identitymap',
        'https://ns.adobe.com/xdm/context/profile-work-details',
        'https://ns.adobe.com/xdm/mixins/profile-consents',
        'https://ns.adobe.com/xdm/context/experienceevent-commerce',
        'https://ns.adobe.com/xdm/context/experienceevent-web',
        'https://ns.adobe.com/xdm/context/experienceevent-environment-details',
      ]),
    );
    expect(STANDARD_DATA_TYPES.map((c) => c.$id)).toEqual(
      expect.arrayContaining([
        'https://ns.adobe.com/xdm/common/address',
        'https://ns.adobe.com/xdm/context/emailaddress',
        'https://ns.adobe.com/xdm/context/phonenumber',
        'https://ns.adobe.com/xdm/context/person-name',
      ]),
    );
  });

  it('has unique ids and AEP-style altIds', () => {
    expect(new Set(all.map((c) => c.$id)).size).toBe(all.length);
    expect(findStandard(PROFILE_CLASS_ID)?.['meta:altId']).toBe('_xdm.context.profile');
    expect(altIdOf(PROFILE_FIELD_GROUP_IDS.loyaltyDetails)).toBe('_xdm.mixins.profile.profile-loyalty-details');
    expect(findStandard('_xdm.context.profile-personal-details')?.$id).toBe(PROFILE_FIELD_GROUP_IDS.personalDetails);
    expect(findStandard('https://ns.adobe.com/acme/schemas/abc')).toBeUndefined();
  });

  it('declares meta:intendedToExtend on every field group and the right resource types', () => {
    for (const fg of STANDARD_FIELD_GROUPS) {
      expect(fg['meta:resourceType']).toBe('mixins');
      expect(Array.isArray(fg['meta:intendedToExtend'])).toBe(true);
    }
    expect(findStandard(PROFILE_FIELD_GROUP_IDS.loyaltyDetails)?.['meta:intendedToExtend']).toEqual([PROFILE_CLASS_ID]);
    expect(STANDARD_CLASSES.every((c) => c['meta:resourceType'] === 'classes')).toBe(true);
    expect(STANDARD_DATA_TYPES.every((c) => c['meta:resourceType'] === 'datatypes')).toBe(true);
  });

  it('uses field names without the xdm: prefix', () => {
    expect(JSON.stringify(all)).not.toContain('xdm:');
  });

  it('only references data types it holds', () => {
    const known = new Set<string>(STANDARD_DATA_TYPES.map((d) => d.$id));
    for (const c of all) for (const r of componentRefs(c)) expect(known.has(r)).toBe(true);
    expect(componentRefs(findStandard(PROFILE_FIELD_GROUP_IDS.personalDetails)!)).toEqual([
      DATA_TYPE_IDS.address,
      DATA_TYPE_IDS.email,
      DATA_TYPE_IDS.phone,
      DATA_TYPE_IDS.phone,
      DATA_TYPE_IDS.phone,
    ]);
  });

  it('is frozen so no caller can change it', () => {
    const profile = findStandard(PROFILE_CLASS_ID)!;
    expect(Object.isFrozen(profile)).toBe(true);
    expect(Object.isFrozen(profile.definitions.profile.properties._id)).toBe(true);
  });

  it('holds the record and time-series behaviours the classes extend', () => {
    expect(STANDARD_BEHAVIORS.map((b) => b.$id)).toEqual([BEHAVIOR_IDS.record, BEHAVIOR_IDS.timeSeries]);
    for (const cls of STANDARD_CLASSES) expect(cls['meta:extends']?.some((id) => findStandard(id)?.['meta:resourceType'] === 'behaviors')).toBe(true);
  });

  const resolvedPaths = (refs: string[]) =>
    fieldPaths(
      resolveSchema({ ...schemaIds('acme', 'ca7'), title: 't', type: 'object', 'meta:class': refs[0], 'meta:extends': [], allOf: refs.map(($ref) => ({ $ref })), version: '1.0' }, findStandard),
      { arrayItems: true },
    );

  it('gives profiles the AEP field paths of every profile field group', () => {
    const profileGroups = STANDARD_FIELD_GROUPS.filter((g) => g['meta:intendedToExtend']?.includes(PROFILE_CLASS_ID)).map((g) => g.$id);
    const paths = resolvedPaths([PROFILE_CLASS_ID, ...profileGroups, IDENTITY_MAP_FIELD_GROUP_ID]);
    const expected: [string, string][] = [
      ['homeAddress.city', 'string'], ['homeAddress.countryCode', 'string'], ['personalEmail.address', 'string'], ['mobilePhone.number', 'string'],
      ['person.name.firstName', 'string'], ['person.name.lastName', 'string'], ['person.birthDate', 'date'], ['person.gender', 'string'],
      ['workAddress.city', 'string'], ['workEmail.address', 'string'], ['workPhone.number', 'string'],
      ['loyalty.points', 'number'], ['loyalty.tier', 'string'], ['loyalty.loyaltyID', 'array'],
      ['consents.collect.val', 'string'], ['consents.share.val', 'string'], ['consents.personalize.content.val', 'string'],
      ['consents.marketing.email.val', 'string'], ['consents.marketing.any.val', 'string'], ['consents.metadata.time', 'date-time'],
      ['identityMap', 'map'],
    ];
    for (const [path, type] of expected) expect([path, paths.get(path)]).toEqual([path, type]);
  });

  it('gives events the AEP field paths of the web, commerce and environment field groups', () => {
    const paths = resolvedPaths([EXPERIENCE_EVENT_CLASS_ID, COMMERCE_FIELD_GROUP_ID, WEB_FIELD_GROUP_IDS.webDetails, WEB_FIELD_GROUP_IDS.environmentDetails]);
    const expected: [string, string][] = [
      ['_id', 'string'], ['timestamp', 'date-time'], ['eventType', 'string'], ['identityMap', 'map'],
      ['web.webPageDetails.name', 'string'], ['web.webPageDetails.URL', 'string'], ['web.webPageDetails.pageViews.value', 'number'], ['web.webReferrer.URL', 'string'],
      ['productListItems[].SKU', 'string'], ['productListItems[].name', 'string'], ['productListItems[].quantity', 'integer'],
      ['productListItems[].priceTotal', 'number'], ['productListItems[].currencyCode', 'string'],
      ['commerce.order.priceTotal', 'number'], ['commerce.purchases.value', 'number'], ['commerce.productViews.value', 'number'], ['commerce.productListAdds.value', 'number'],
      ['environment.browserDetails.userAgent', 'string'], ['environment.operatingSystem', 'string'], ['device.type', 'string'], ['device.screenHeight', 'integer'],
      ['placeContext.localTime', 'date-time'],
    ];
    for (const [path, type] of expected) expect([path, paths.get(path)]).toEqual([path, type]);
  });

  it('combines lookups, first match wins', () => {
    const tenant: XdmComponent = { ...findStandard(PROFILE_CLASS_ID)!, title: 'shadow' };
    const lookup = combineLookups((id) => (id === PROFILE_CLASS_ID ? tenant : undefined), findStandard);
    expect(lookup(PROFILE_CLASS_ID)?.title).toBe('shadow');
    expect(lookup(EXPERIENCE_EVENT_CLASS_ID)?.title).toBe('XDM ExperienceEvent');
    expect(lookup('nope')).toBeUndefined();
  });
});

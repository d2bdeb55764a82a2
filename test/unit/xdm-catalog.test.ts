import {
  DATA_TYPE_IDS,
  EXPERIENCE_EVENT_CLASS_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS,
  STANDARD_CLASSES,
  STANDARD_DATA_TYPES,
  STANDARD_FIELD_GROUPS,
  altIdOf,
  combineLookups,
  findStandard,
} from '../../domain/xdm';
import type { XdmComponent, XdmField } from '../../domain/xdm';

const all = [...STANDARD_CLASSES, ...STANDARD_FIELD_GROUPS, ...STANDARD_DATA_TYPES];

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

  it('combines lookups, first match wins', () => {
    const tenant: XdmComponent = { ...findStandard(PROFILE_CLASS_ID)!, title: 'shadow' };
    const lookup = combineLookups((id) => (id === PROFILE_CLASS_ID ? tenant : undefined), findStandard);
    expect(lookup(PROFILE_CLASS_ID)?.title).toBe('shadow');
    expect(lookup(EXPERIENCE_EVENT_CLASS_ID)?.title).toBe('XDM ExperienceEvent');
    expect(lookup('nope')).toBeUndefined();
  });
});

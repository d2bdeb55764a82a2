import {
  COMMERCE_FIELD_GROUP_ID,
  EXPERIENCE_EVENT_CLASS_ID,
  IDENTITY_MAP_FIELD_GROUP_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS as FG,
  findStandard,
  resolveSchema,
  schemaIds,
} from '../../domain/xdm';
import type { ResolvedSchema } from '../../domain/xdm';
import { ValidatorCache, createRecordValidator, getRecordValidator } from '../../infra/xdm/validator';
import type { RecordValidationResult } from '../../infra/xdm/validator';

function resolved(hex: string, refs: string[], version = '1.0'): ResolvedSchema {
  return resolveSchema(
    { ...schemaIds('acme', hex), title: hex, type: 'object', 'meta:class': refs[0], 'meta:extends': refs, allOf: refs.map(($ref) => ({ $ref })), version },
    findStandard,
  );
}

const profile = resolved('a1', [PROFILE_CLASS_ID, FG.personalDetails, FG.personDetails, FG.loyaltyDetails, IDENTITY_MAP_FIELD_GROUP_ID]);
const validate = createRecordValidator(profile);

const good = {
  _id: 'r-1',
  personalEmail: { address: 'ann@example.com', primary: true, status: 'active', type: 'personal' },
  homeAddress: { street1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' },
  mobilePhone: { number: '+1 555 0100', primary: true },
  person: { name: { firstName: 'Ann', lastName: 'Lee' }, birthDate: '1990-04-02', gender: 'female' },
  loyalty: { loyaltyID: ['L-1'], program: 'gold-club', points: 120.5, tier: 'gold', joinDate: '2023-01-02T03:04:05Z' },
  identityMap: { Email: [{ id: 'ann@example.com', primary: true }], ECID: [{ id: '123', authenticatedState: 'ambiguous' }] },
};

const errorsOf = (r: RecordValidationResult) => (r.ok ? [] : r.errors);

describe('createRecordValidator', () => {
  it('accepts a valid record, with any identity namespace', () => {
    expect(validate(good)).toEqual({ ok: true });
    expect(validate({})).toEqual({ ok: true });
  });

  it('reports a wrong type at its dotted path', () => {
    expect(errorsOf(validate({ ...good, person: { birthDate: 19900402 } }))).toEqual([
      { path: 'person.birthDate', rule: 'type', message: 'must be string' },
    ]);
  });

  it('reports a bad date and date-time format', () => {
    const errors = errorsOf(validate({ person: { birthDate: '1990-13-45' }, loyalty: { joinDate: '2023-01-02' } }));
    expect(errors.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'person.birthDate', rule: 'format' },
      { path: 'loyalty.joinDate', rule: 'format' },
    ]);
    expect(errors[0].message).toContain('date');
  });

  it('rejects unknown fields, nested or at the root, unless allowed', () => {
    const record = { ...good, person: { ...good.person, nmae: 'typo' }, loyaltyPoints: 3 };
    expect(errorsOf(validate(record))).toEqual([
      { path: 'loyaltyPoints', rule: 'unknownField', message: 'is not a field of the schema' },
      { path: 'person.nmae', rule: 'unknownField', message: 'is not a field of the schema' },
    ]);
    expect(createRecordValidator(profile, { allowUnknown: true })(record)).toEqual({ ok: true });
  });

  it('reports enum, pattern, and array element errors with exact paths', () => {
    const errors = errorsOf(validate({ person: { gender: 'f' }, homeAddress: { countryCode: 'usa' }, loyalty: { loyaltyID: ['ok', 7] }, personalEmail: { address: 'not-an-email' } }));
    expect(errors.map(({ path, rule }) => `${path}:${rule}`).sort()).toEqual(
      ['homeAddress.countryCode:pattern', 'loyalty.loyaltyID[1]:type', 'person.gender:enum', 'personalEmail.address:format'].sort(),
    );
    expect(errors.find((e) => e.rule === 'enum')?.message).toContain('"female"');
  });

  it('checks identityMap values but not its keys', () => {
    const errors = errorsOf(validate({ identityMap: { Email: [{ primary: true, extra: 1 }], CRM: 'x' } }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'identityMap.Email[0].id', rule: 'required', message: 'is required' },
        { path: 'identityMap.Email[0].extra', rule: 'unknownField', message: 'is not a field of the schema' },
        { path: 'identityMap.CRM', rule: 'type', message: 'must be array' },
      ]),
    );
  });

  it('requires _id and timestamp on experience events', () => {
    const event = createRecordValidator(resolved('e1', [EXPERIENCE_EVENT_CLASS_ID, COMMERCE_FIELD_GROUP_ID]));
    expect(errorsOf(event({ eventType: 'commerce.purchases' })).map((e) => `${e.path}:${e.rule}`)).toEqual(['_id:required', 'timestamp:required']);
    expect(event({ _id: 'e', timestamp: '2024-05-01T10:00:00.000Z', productListItems: [{ SKU: 'S1', quantity: 2, priceTotal: 9.5 }] })).toEqual({ ok: true });
    expect(errorsOf(event({ _id: 'e', timestamp: '2024-05-01T10:00:00Z', productListItems: [{ quantity: 1.5 }] }))).toEqual([
      { path: 'productListItems[0].quantity', rule: 'type', message: 'must be integer' },
    ]);
  });

  it('reports a non-object record at the root', () => {
    expect(errorsOf(validate('nope'))).toEqual([{ path: '', rule: 'type', message: 'must be object' }]);
  });
});

describe('ValidatorCache', () => {
  it('compiles once per $id and version, and drops the least recently used', () => {
    const cache = new ValidatorCache(2);
    const v1 = cache.get(profile);
    expect(cache.get(profile)).toBe(v1);
    expect(cache.get(profile, { allowUnknown: true })).not.toBe(v1);
    expect(cache.size).toBe(2);
    cache.get(profile); // refresh: the allowUnknown entry is now the oldest
    const next = resolved('a1', [PROFILE_CLASS_ID, FG.personDetails], '1.1');
    const v2 = cache.get(next);
    expect(v2).not.toBe(v1);
    expect(cache.size).toBe(2);
    expect(cache.get(profile)).toBe(v1);
    cache.invalidate(profile.$id);
    expect(cache.size).toBe(0);
  });
});

describe('getRecordValidator', () => {
  it('shares one compiled validator per schema $id and version across callers', () => {
    const v1 = getRecordValidator(profile.$id, '1.0', profile);
    expect(getRecordValidator(profile.$id, '1.0', profile)).toBe(v1);
    expect(getRecordValidator(profile.$id, '1.1', profile)).not.toBe(v1);
    expect(v1({ loyalty: { points: 'many' } })).toEqual({ ok: false, errors: [{ path: 'loyalty.points', rule: 'type', message: 'must be number' }] });
  });

  it('checks the web and environment formats without warnings', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const event = createRecordValidator(resolved('e2', [EXPERIENCE_EVENT_CLASS_ID, 'https://ns.adobe.com/xdm/context/experienceevent-environment-details']));
    expect(event({ _id: 'e', timestamp: '2024-01-01T00:00:00Z', environment: { ipV4: '10.0.0.1' } })).toEqual({ ok: true });
    expect(event({ _id: 'e', timestamp: '2024-01-01T00:00:00Z', environment: { ipV4: 'nope' } })).toMatchObject({ ok: false, errors: [{ path: 'environment.ipV4', rule: 'format' }] });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});

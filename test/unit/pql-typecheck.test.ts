import { checkPql, parsePql } from '../../domain/pql';
import { DomainError } from '../../domain/shared/errors';
import type { XdmType } from '../../domain/xdm/types';

const fields = new Map<string, XdmType>([
  ['homeAddress.countryCode', 'string'],
  ['homeAddress.city', 'string'],
  ['person.name.firstName', 'string'],
  ['person.birthDate', 'date'],
  ['person.age', 'integer'],
  ['_openxp.loyaltyScore', 'number'],
  ['_openxp.vip', 'boolean'],
  ['_openxp.lastSeen', 'date-time'],
  ['_openxp.tags', 'array'],
  ['identityMap', 'map'],
]);

function failure(text: string): DomainError {
  try {
    checkPql(parsePql(text), fields);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error(`type-checked: ${text}`);
}

describe('checkPql', () => {
  it.each([
    'homeAddress.countryCode = "US"',
    'homeAddress.countryCode in ["US", "CA", null] and not homeAddress.city.startsWith("Bo", false)',
    'person.age >= 18 and _openxp.loyaltyScore < 2.5',
    'person.age > 17.5',
    '_openxp.vip',
    '_openxp.vip = true or not _openxp.vip',
    '_openxp.vip != false',
    'person.birthDate < date(2000, 1, 1)',
    'person.birthDate >= "1990-05-17"',
    'person.birthDate in [date(1990, 5, 17), "1990-05-18"]',
    '_openxp.lastSeen >= date(2024, 3, 14) and _openxp.lastSeen < "2024-03-15T00:00:00.000Z"',
    'date(2024, 3, 14) <= _openxp.lastSeen',
    'date(2024, 3, 14) > _openxp.lastSeen',
    '_openxp.tags.isNotNull() and identityMap != null and homeAddress = null',
    'homeAddress.isNull() or person.name.firstName.like("J%n_")',
    'person.name.firstName.matches("(?i)^jo") or inSegment("s1")',
    'true',
    '"a" = "a"',
  ])('accepts %s', (text) => {
    expect(() => checkPql(parsePql(text), fields)).not.toThrow();
  });

  it('names an unknown field', () => {
    const e = failure('homeAddress.zip = "02110" or person.age > 3');
    expect(e.code).toBe('UNKNOWN_FIELD');
    expect(e.field).toBe('homeAddress.zip');
    expect(e.message).toBe('Unknown field "homeAddress.zip" in PQL: not in the profile union schema');
    expect(failure('a.b.isNull()').message).toBe('Unknown field "a.b" in PQL: not in the profile union schema');
  });

  it.each<[string, string, string | undefined]>([
    ['homeAddress.countryCode = 5', 'Cannot compare field "homeAddress.countryCode" (string) with integer literal 5 using "=": types differ', 'homeAddress.countryCode'],
    ['5 = homeAddress.countryCode', 'Cannot compare integer literal 5 with field "homeAddress.countryCode" (string) using "=": types differ', 'homeAddress.countryCode'],
    ['person.age = "18"', 'Cannot compare field "person.age" (integer) with string literal "18" using "=": types differ', 'person.age'],
    ['person.age = person.name.firstName', 'Cannot compare field "person.age" (integer) with field "person.name.firstName" (string)', 'person.age'],
    ['person.age in [1, "2"]', 'Cannot compare field "person.age" (integer) with string literal "2" in in list: types differ', 'person.age'],
    ['_openxp.vip < true', 'Cannot order field "_openxp.vip" (boolean) and boolean literal true using "<": booleans support only = and !=', '_openxp.vip'],
    ['person.age > null', 'Cannot order against null using ">"', 'person.age'],
    ['person.age.startsWith("1")', 'startsWith() applies to strings, but field "person.age" (integer) is not a string', 'person.age'],
    ['person.birthDate.contains("-05-")', 'contains() applies to strings, but field "person.birthDate" (date) is not a string', 'person.birthDate'],
    ['person.birthDate = 1990', 'Cannot compare field "person.birthDate" (date) with integer literal 1990 using "=": use date(y, m, d)', 'person.birthDate'],
    ['person.birthDate < "last year"', 'Cannot compare field "person.birthDate" (date) with string literal "last year"', 'person.birthDate'],
    ['_openxp.lastSeen > "2024-03-14T10:00Z"', 'Cannot compare field "_openxp.lastSeen" (date-time) with string literal "2024-03-14T10:00Z"', '_openxp.lastSeen'],
    ['_openxp.lastSeen = date(2024, 3, 14)', 'a date against a date-time means 00:00 UTC of that day; use < or >=', '_openxp.lastSeen'],
    ['date(2024, 3, 14) < _openxp.lastSeen', 'a date against a date-time means 00:00 UTC of that day', '_openxp.lastSeen'],
    ['_openxp.tags = "a"', 'Cannot compare field "_openxp.tags" (array) using "=": array values are not comparable', '_openxp.tags'],
    ['homeAddress = "x"', 'Cannot compare field "homeAddress" (object) using "=": object values are not comparable', 'homeAddress'],
    ['person.age = [1]', 'Cannot compare list literal [1] using "=": list values are not comparable', undefined],
    ['homeAddress.city and true', 'Expected a condition (boolean) but found field "homeAddress.city" (string)', 'homeAddress.city'],
    ['not 1', 'Expected a condition (boolean) but found integer literal 1', undefined],
    ['(person.age > 1) = 1', 'Cannot compare condition (person.age > 1) with integer literal 1 using "=": types differ', undefined],
  ])('rejects %s', (text, message, field) => {
    const e = failure(text);
    expect(e.code).toBe('PQL_TYPE');
    expect(e.message).toContain(message);
    expect(e.field).toBe(field);
  });
});

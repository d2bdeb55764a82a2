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

describe('checkPql with events and the full language', () => {
  const profileFields = new Map<string, XdmType>([
    ...fields,
    ['orders', 'array'], ['orders[]', 'object'], ['orders[].price', 'number'], ['orders[].storeId', 'string'],
    ['favoriteColors', 'array'], ['favoriteColors[]', 'string'],
  ]);
  const eventFields = new Map<string, XdmType>([
    ['_id', 'string'], ['timestamp', 'date-time'], ['eventType', 'string'], ['commerce', 'object'], ['commerce.order', 'object'],
    ['commerce.order.priceTotal', 'number'], ['commerce.order.currencyCode', 'string'],
    ['productListItems', 'array'], ['productListItems[]', 'object'], ['productListItems[].SKU', 'string'], ['productListItems[].quantity', 'integer'],
  ]);
  const check = (text: string, events: ReadonlyMap<string, XdmType> | undefined = eventFields) => checkPql(parsePql(text), profileFields, events);
  const error = (text: string): DomainError => {
    try {
      check(text);
    } catch (e) {
      if (e instanceof DomainError) return e;
      throw e;
    }
    throw new Error(`type-checked: ${text}`);
  };

  it.each([
    'xEvent.sum(commerce.order.priceTotal) > 100',
    'exists E from xEvent where E.eventType = "commerce.purchases", I from E.productListItems where I.SKU = "PS" and I.quantity > 1',
    'let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)',
    'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(<= 24 hours before now), B: WHAT(eventType = "commerce.checkouts") WHEN(after A)])',
    'exists E from xEvent where E.timestamp occurs <= 7 days before now',
    'person.birthDate occurs this month and person.birthDate.getMonth() = currentMonth()',
    'orders.filter(price > 10).count() > 1 and orders.topN(price, 2).map(storeId).includes("A")',
    'favoriteColors.intersects(["red"]) and forall C from favoriteColors : C.startsWith("r")',
    'identityMap.get("Email").count() > 0 and identityMap.keys().includes("Email")',
    'select X from xEvent where X.eventType = "a"',
    '_openxp.lastSeen > now and person.birthDate < today',
  ])('accepts %s', (text) => {
    expect(() => check(text)).not.toThrow();
  });

  it.each<[string, string, string, string]>([
    ['xEvent.sum(commerce.order.total) > 1', 'UNKNOWN_FIELD', 'Unknown field "commerce.order.total" in PQL: not in the ExperienceEvent union schema', 'commerce.order.total'],
    ['exists E from xEvent where E.commerce.foo = 1', 'UNKNOWN_FIELD', 'Unknown field "commerce.foo" (in E.commerce.foo) in PQL: not in the ExperienceEvent union schema', 'commerce.foo'],
    ['exists E from xEvent where E.eventType = "x", I from E.productListItems where I.sku = "PS"', 'UNKNOWN_FIELD', 'Unknown field "productListItems[].sku" (in I.sku) in PQL', 'productListItems[].sku'],
    ['orders.filter(cost > 1).count() > 0', 'UNKNOWN_FIELD', 'Unknown field "orders[].cost" (in cost) in PQL: not in the profile union schema', 'orders[].cost'],
    ['exists E from xEvent where E.eventType = 5', 'PQL_TYPE', 'Cannot compare field "E.eventType" (string) with integer literal 5 using "=": types differ', 'eventType'],
    ['xEvent.sum(eventType) > 1', 'PQL_TYPE', 'sum() adds numbers, but field "eventType" (string) is not a number', 'eventType'],
    ['person.age occurs today', 'PQL_TYPE', 'occurs needs a date or date-time, but field "person.age" (integer) is not one', 'person.age'],
    ['homeAddress.city.includes("x")', 'PQL_TYPE', 'includes() applies to arrays, but field "homeAddress.city" (string) is not an array', 'homeAddress.city'],
    ['person.age.getMonth() = 1', 'PQL_TYPE', 'getMonth() needs a date or date-time, but field "person.age" (integer) is not one', 'person.age'],
    ['xEvent.count()', 'PQL_TYPE', 'Expected a condition (boolean) but found xEvent.count()', ''],
    ['chain(xEvent, timestamp, [A: WHAT(eventType = 1)])', 'PQL_TYPE', 'Cannot compare field "eventType" (string) with integer literal 1', 'eventType'],
  ])('rejects %s', (text, code, message, field) => {
    const e = error(text);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
    expect(e.field ?? '').toBe(field);
  });

  it('leaves event paths unchecked without an event schema', () => {
    expect(() => checkPql(parsePql('exists E from xEvent where E.anything.goes = 1'), profileFields)).not.toThrow();
    expect(() => checkPql(parsePql('xEvent.sum(whatever) > 1'), profileFields)).not.toThrow();
  });
});

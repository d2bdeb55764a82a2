import {
  checkPql, eventWindow, streamingEligibility, usesEvents, evaluatePql, evaluatePqlValue, explainPql, fromPqlJson, parsePql, renderPql, toPqlJson,
  type PqlProfile,
} from '../../domain/pql';
import type { XdmType } from '../../domain/xdm/types';

/**
 * PQL conformance: every construct of shared/reference/pql.md against one hand-made profile with
 * events, at one pinned now. Expectations are written by hand from the documented semantics
 * (evaluate.ts, time.ts), not computed. Each case also round-trips text → AST → pql/json → AST →
 * text unchanged, so the canonical texts below are what renderPql prints.
 *
 * now = Friday 2024-03-15 12:00 UTC; this week (Monday start) = 11–17 March; last week 4–10 March.
 */
const NOW = new Date('2024-03-15T12:00:00.000Z');

const profile: PqlProfile = {
  entity: {
    homeAddress: { countryCode: 'US', city: 'Boston' },
    person: { name: { firstName: 'John', lastName: 'Smith' }, birthDate: '1990-03-17', age: 34, gender: null },
    emailAddress: 'john.smith@adobe.com',
    favoriteColors: ['red', 'blue', 'green'],
    visitedCities: ['Paris', 'Rome', 'Boston'],
    favoriteCities: ['Paris', 'Rome'],
    scores: [3, 9, 1, 9],
    orders: [{ storeId: 'A', price: 30 }, { storeId: 'B', price: 50 }, { storeId: 'A', price: 20 }],
    identityMap: { Email: [{ id: 'john@x.com', primary: true }], ECID: [{ id: '123' }] },
    loyalty: {
      points: 1200, tier: 'gold', joined: '2019-11-30T08:00:00.000Z', lastVisit: '2024-03-14T18:30:00.000Z',
      renewal: '2024-03-20', leapDay: '2024-02-29T10:00:00.000Z',
    },
    vip: true,
  },
  segmentMembership: { ups: { s1: { status: 'realized' }, s2: { status: 'exited' } } },
  events: [
    { _id: 'e1', timestamp: '2024-03-01T09:00:00.000Z', eventType: 'web.webpagedetails.pageViews' },
    { _id: 'e2', timestamp: '2024-03-10T10:00:00.000Z', eventType: 'commerce.productListAdds', productListItems: [{ SKU: 'PS', quantity: 1, priceTotal: 20 }] },
    {
      _id: 'e3', timestamp: '2024-03-12T11:00:00.000Z', eventType: 'commerce.purchases', commerce: { order: { priceTotal: 120, currencyCode: 'USD' } },
      productListItems: [{ SKU: 'PS', quantity: 2, priceTotal: 100 }, { SKU: 'XB', quantity: 1, priceTotal: 20 }],
    },
    { _id: 'e4', timestamp: '2024-03-14T20:00:00.000Z', eventType: 'commerce.productListAdds', productListItems: [{ SKU: 'XB' }] },
    { _id: 'e5', timestamp: '2024-03-15T08:00:00.000Z', eventType: 'commerce.checkouts' },
    { _id: 'e6', timestamp: '2024-03-15T09:30:00.000Z', eventType: 'commerce.purchases', commerce: { order: { priceTotal: 35.5, currencyCode: 'EUR' } } },
  ],
};
const ctx = { now: NOW };

function roundTrips(text: string): void {
  const ast = parsePql(text);
  expect(renderPql(ast)).toBe(text);
  const back = fromPqlJson(JSON.parse(JSON.stringify(toPqlJson(ast))));
  expect(back).toEqual(ast);
  expect(renderPql(back)).toBe(text);
}

const CHAIN_ADD_THEN_CHECKOUT = 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds") WHEN(<= 24 hours before now), B: WHAT(eventType = "commerce.checkouts") WHEN(after A)])';

/** [canonical text, expected truth]. */
const CONDITIONS: [string, boolean][] = [
  // comparisons
  ['homeAddress.countryCode = "US"', true],
  ['homeAddress.countryCode != "US"', false],
  ['person.age >= 34', true],
  ['person.age > 34', false],
  ['person.gender = null', true],
  ['person.gender != "F"', false],
  ['person.middleName = null', true],
  ['person.age = "34"', false],
  ['person.age != "34"', true],
  ['homeAddress.city < "Chicago"', true],
  ['loyalty.lastVisit >= date(2024, 3, 14)', true],
  ['loyalty.lastVisit < date(2024, 3, 14)', false],
  ['vip', true],
  ['vip = false', false],
  ['person.birthDate = date(1990, 3, 17)', true],
  ['person.name.firstName.equals("john", false)', true],
  ['person.name.firstName.notEqualTo("John")', false],
  // boolean logic
  ['vip and not(person.age < 18)', true],
  ['person.age < 18 or homeAddress.city = "Boston"', true],
  ['not(vip) or false', false],
  ['(person.age = 1 or person.age = 34) and vip', true],
  ['not(vip) and person.age = 34', false],
  ['true and not(false)', true],
  // in / notIn
  ['homeAddress.countryCode in ["US", "CA"]', true],
  ['homeAddress.countryCode notIn ["US"]', false],
  ['person.gender in ["F"]', false],
  ['person.gender notIn ["F"]', false],
  ['person.gender in ["F", null]', true],
  ['person.age in [33, 34.0]', true],
  // strings
  ['emailAddress.endsWith("@adobe.com")', true],
  ['emailAddress.startsWith("JOHN", false)', true],
  ['emailAddress.startsWith("JOHN")', false],
  ['emailAddress.contains("smith")', true],
  ['emailAddress.doesNotContain("smith")', false],
  ['emailAddress.doesNotStartWith("x")', true],
  ['emailAddress.doesNotEndWith(".com")', false],
  ['emailAddress.like("john%@%.com")', true],
  ['emailAddress.like("j_hn.smith@adobe.com")', true],
  ['emailAddress.like("j_n%")', false],
  [String.raw`emailAddress.matches("^[a-z.]+@adobe\\.com$")`, true],
  ['person.age.startsWith("3")', false],
  [String.raw`emailAddress.regexGroup("@(\\w+)\\.", 1) = "adobe"`, true],
  ['emailAddress.regexGroup("^(x)", 1).isNull()', true],
  [String.raw`emailAddress.regexGroup("(john)\\.(smith)", 2) = "smith"`, true],
  // null tests
  ['person.gender.isNull()', true],
  ['person.name.isNotNull()', true],
  ['person.name.firstName.x.isNull()', true],
  // arrays and sets
  ['favoriteColors.intersects(["red", "pink"])', true],
  ['favoriteColors.intersects(["pink"])', false],
  ['favoriteColors.intersects([])', false],
  ['favoriteColors.intersection(["green", "red", "pink"]) = ["red", "green"]', true],
  ['favoriteCities.subsetOf(visitedCities)', true],
  ['visitedCities.subsetOf(favoriteCities)', false],
  ['visitedCities.supersetOf(favoriteCities)', true],
  ['favoriteColors.supersetOf(["red", "black"])', false],
  ['favoriteColors.includes("blue")', true],
  ['favoriteColors.includes("Blue")', false],
  ['scores.includes(9.0)', true],
  ['scores.distinct().count() = 3', true],
  ['orders.filter(storeId = "A").count() = 2', true],
  ['orders.filter(price > 100).head().isNull()', true],
  ['favoriteColors.head() = "red"', true],
  ['favoriteColors.count() = 3', true],
  ['missing.count() = 0', true],
  ['favoriteColors = ["red", "blue", "green"]', true],
  ['favoriteColors = ["blue", "red", "green"]', false],
  ['favoriteColors != ["red"]', true],
  ['orders.topN(price, 1).map(storeId).head() = "B"', true],
  ['orders.bottomN(price, 2).map(price) = [20, 30]', true],
  // aggregates over collections
  ['orders.sum(price) = 100', true],
  ['orders.average(price) > 33.3', true],
  ['orders.min(price) = 20', true],
  ['orders.max(price) = 50', true],
  ['scores.sum() = 22', true],
  ['scores.max() = 9', true],
  ['xEvent.count() = 6', true],
  ['xEvent.sum(commerce.order.priceTotal) > 150', true],
  ['xEvent.sum(commerce.order.priceTotal) > 155.5', false],
  ['orders.min(storeId) = "A"', true],
  ['missing.sum(price) = 0', true],
  ['missing.average(price).isNull()', true],
  // the sum … over … form
  ['(sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") = 120', true],
  ['(count X over X from xEvent where X.eventType = "commerce.purchases") = 2', true],
  ['(average X.commerce.order.priceTotal over X from xEvent) = 77.75', true],
  ['(max X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "EUR") = 35.5', true],
  ['(min O.price over O from orders) = 20', true],
  ['(count O over O from orders where O.storeId = "A") = 2', true],
  // quantifiers
  ['exists E from xEvent where E.eventType = "commerce.purchases"', true],
  ['exists E from xEvent where E.eventType = "formFilledOut"', false],
  ['exists E from xEvent where E.eventType = "commerce.purchases", I from E.productListItems where I.SKU = "PS"', true],
  ['exists E from xEvent where E.eventType = "commerce.purchases", I from E.productListItems where I.SKU = "PS" and I.quantity > 2', false],
  ['exists E from xEvent where E.eventType = "commerce.productListAdds", I from E.productListItems where I.SKU = "XB"', true],
  ['exists E from xEvent', true],
  ['exists O from orders where O.price > 40 and O.storeId = "B"', true],
  ['exists O from missing where true', false],
  ['exists E from xEvent where E.eventType = "commerce.purchases" and vip', true],
  ['forall O from orders : O.price >= 20', true],
  ['forall O from orders : O.storeId = "A"', false],
  ['forall O from missing : false', true],
  ['forall C from favoriteColors : C.isNotNull()', true],
  ['select X from xEvent where X.eventType = "commerce.checkouts"', true],
  ['select X from xEvent where X.eventType = "nope"', false],
  ['(select X from xEvent where X.eventType = "commerce.purchases").count() = 2', true],
  ['not(exists E from xEvent where E.eventType = "nope")', true],
  ['vip and (exists E from xEvent where E.eventType = "commerce.checkouts")', true],
  // let
  ['let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)', true],
  ['let S = xEvent.count() in (S > 10)', false],
  ['let A = orders.sum(price), B = orders.max(price) in (A > B)', true],
  ['let T = "gold" in (loyalty.tier = T)', true],
  // maps
  ['identityMap.get("Email").count() = 1', true],
  ['identityMap.get("Phone").isNull()', true],
  ['identityMap.keys().includes("ECID")', true],
  ['identityMap.keys() = ["Email", "ECID"]', true],
  ['identityMap.values().count() = 2', true],
  ['identityMap.get("Email").map(id).includes("john@x.com")', true],
  ['homeAddress.get("city") = "Boston"', true],
  ['homeAddress.countryCode.keys().isNull()', true],
  // date and time values
  ['currentMonth() = 3', true],
  ['currentYear() = 2024', true],
  ['currentDayOfMonth() = 15', true],
  ['person.birthDate.getMonth() = currentMonth()', true],
  ['person.birthDate.getYear() = 1990', true],
  ['person.birthDate.getDayOfMonth() = 17', true],
  ['loyalty.joined.getMonth() = 11', true],
  ['loyalty.tier.getMonth().isNull()', true],
  ['loyalty.lastVisit < now', true],
  ['loyalty.renewal > today', true],
  ['loyalty.lastVisit >= yesterday', true],
  ['loyalty.renewal = tomorrow', false],
  // occurs
  ['loyalty.lastVisit occurs <= 24 hours before now', true],
  ['loyalty.lastVisit occurs < 17 hours before now', false],
  ['loyalty.lastVisit occurs yesterday', true],
  ['loyalty.lastVisit occurs today', false],
  ['loyalty.lastVisit occurs this week', true],
  ['loyalty.renewal occurs next week', true],
  ['loyalty.joined occurs last year', false],
  ['loyalty.joined occurs this decade', false],
  ['loyalty.joined occurs last decade', true],
  ['loyalty.joined occurs this century', true],
  ['loyalty.joined occurs this millennium', true],
  ['loyalty.joined occurs before date(2020, 1, 1)', true],
  ['loyalty.joined occurs after date(2019, 11, 30)', false],
  ['loyalty.joined occurs date(2019, 11, 30)', true],
  ['loyalty.joined occurs between date(2019, 1, 1) and date(2019, 11, 30)', true],
  ['loyalty.joined occurs between date(2019, 12, 1) and today', false],
  ['loyalty.lastVisit occurs = 1 day before today', true],
  ['loyalty.joined occurs > 4 years before now', true],
  ['loyalty.joined occurs > 5 years before now', false],
  ['loyalty.renewal occurs <= 5 days after today', true],
  ['loyalty.renewal occurs < 5 days from today', false],
  ['loyalty.renewal occurs >= 5 days after today', true],
  ['person.birthDate occurs this month', false],
  ['loyalty.lastVisit occurs <= 2 weeks before now', true],
  ['loyalty.lastVisit occurs != 1 day before today', false],
  ['loyalty.joined occurs = 4 months before date(2020, 3, 30)', true],
  ['loyalty.leapDay occurs = 1 month before date(2024, 3, 31)', true],
  ['loyalty.leapDay occurs last month', true],
  ['loyalty.lastVisit occurs last month', false],
  ['loyalty.tier occurs today', false],
  ['loyalty.lastVisit occurs after now', false],
  ['loyalty.renewal occurs after now', true],
  ['loyalty.lastVisit occurs <= 1 decade before now', true],
  ['loyalty.joined occurs <= 3 centuries before now', true],
  ['loyalty.joined occurs > 1 millennium before now', false],
  ['"2024-03-15T11:59:59.999Z" occurs < 1 millisecond before now', false],
  ['"2024-03-15T11:59:59.999Z" occurs = 1 millisecond before now', true],
  ['"2024-03-15T12:00:00.000Z" occurs now', true],
  ['"2024-03-15T11:58:00.000Z" occurs <= 2 minutes before now', true],
  ['"2024-03-15T11:58:00.000Z" occurs < 120 seconds before now', false],
  ['"2024-03-11T00:00:00.000Z" occurs this week', true],
  ['"2024-03-10T23:59:59.999Z" occurs this week', false],
  ['"2024-03-10T23:59:59.999Z" occurs last week', true],
  ['"2024-03-15" occurs today', true],
  ['date(2024, 3, 15) occurs <= 12 hours before now', true],
  ['"2024-02-30" occurs last month', false],
  // chain
  [CHAIN_ADD_THEN_CHECKOUT, true],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds") WHEN(<= 12 hours before now), B: WHAT(eventType = "commerce.checkouts") WHEN(after A)])', false],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts"), B: WHAT(eventType = "commerce.productListAdds")])', false],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds"), B: WHAT(eventType = "commerce.purchases"), C: WHAT(eventType = "commerce.purchases")])', true],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds"), B: WHAT(eventType = "commerce.purchases") WHEN(<= 1 hour after A)])', false],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds"), B: WHAT(eventType = "commerce.purchases") WHEN(<= 2 days after A)])', true],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases" and commerce.order.priceTotal > 100)])', true],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases") WHEN(today), B: WHAT(eventType = "commerce.checkouts")])', false],
  // segment of segments
  ['inSegment("s1")', true],
  ['inSegment("s2")', false],
  ['inSegment("s3")', false],
];

/** [canonical text, expected value] for expressions that are not conditions. */
const VALUES: [string, unknown][] = [
  [String.raw`emailAddress.regexGroup("@(\\w+)", 0)`, '@adobe'],
  ['scores.distinct()', [3, 9, 1]],
  ['orders.map(price)', [30, 50, 20]],
  ['orders.map(storeId).distinct()', ['A', 'B']],
  ['orders.topN(price, 2).map(price)', [50, 30]],
  ['orders.bottomN(price, 1).map(storeId)', ['A']],
  ['scores.head()', 3],
  ['xEvent.average(commerce.order.priceTotal)', 77.75],
  ['xEvent.min(timestamp)', '2024-03-01T09:00:00.000Z'],
  ['xEvent.max(commerce.order.priceTotal)', 120],
  ['sum X.commerce.order.priceTotal over X from xEvent where X.eventType = "nothing"', 0],
  ['average X.commerce.order.priceTotal over X from xEvent where X.eventType = "nothing"', null],
  ['(select O from orders where O.price < 40).map(storeId)', ['A', 'A']],
  ['today', '2024-03-15'],
  ['now', '2024-03-15T12:00:00.000Z'],
  ['yesterday', '2024-03-14'],
  ['tomorrow', '2024-03-16'],
  ['identityMap.keys()', ['Email', 'ECID']],
  ['favoriteColors.intersection(["green", "red"])', ['red', 'green']],
];

describe('PQL conformance', () => {
  it('has at least 150 cases', () => {
    expect(CONDITIONS.length + VALUES.length).toBeGreaterThanOrEqual(150);
  });

  it.each(CONDITIONS)('%s → %s', (text, expected) => {
    roundTrips(text);
    expect(evaluatePql(parsePql(text), profile, ctx)).toBe(expected);
  });

  it.each(VALUES)('value of %s', (text, expected) => {
    roundTrips(text);
    expect(evaluatePqlValue(parsePql(text), profile, ctx)).toEqual(expected);
  });

  it('uses ctx.membership over the stored membership for inSegment', () => {
    const ast = parsePql('inSegment("s2") and not(inSegment("s1"))');
    expect(evaluatePql(ast, profile, { now: NOW, membership: (id) => (id === 's2' ? true : id === 's1' ? false : undefined) })).toBe(true);
  });

  it('accepts the spellings the canonical text normalises', () => {
    const same: [string, string][] = [
      ['X.t occurs on today', 'X.t occurs today'],
      ['X.t occurs <= 1 days before now', 'X.t occurs <= 1 day before now'],
      ['X.t occurs < 2 century before now', 'X.t occurs < 2 centuries before now'],
      ['X.t occurs on last  week', 'X.t occurs last week'],
      ['exists E from xEvent where (E.eventType = "a")', 'exists E from xEvent where E.eventType = "a"'],
      ['let S = (orders.sum(price)) in S > 1', 'let S = orders.sum(price) in (S > 1)'],
    ];
    for (const [input, canonical] of same) expect(renderPql(parsePql(input))).toBe(canonical);
  });

  it('explains every clause with its value and the events behind event clauses', () => {
    const tree = explainPql(parsePql(`vip and ${CHAIN_ADD_THEN_CHECKOUT} and not(exists E from xEvent where E.eventType = "commerce.purchases")`), profile, ctx);
    expect(tree.value).toBe(false);
    const [left, right] = tree.children;
    expect(right).toMatchObject({ text: 'not(exists E from xEvent where E.eventType = "commerce.purchases")', value: false });
    expect(right.children[0]).toMatchObject({ value: true, events: ['e3', 'e6'] });
    expect(left.children[1]).toMatchObject({ text: CHAIN_ADD_THEN_CHECKOUT, value: true, events: ['e4', 'e5'] });
    expect(left.children[0]).toMatchObject({ text: 'vip', value: true, children: [] });
    const agg = explainPql(parsePql('let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100)'), profile, ctx);
    expect(agg.children[0]).toMatchObject({ value: 120, events: ['e3'] });
    expect(agg.children[1]).toMatchObject({ text: 'S > 100', value: true });
    const cmp = explainPql(parsePql('xEvent.count() > 5 and homeAddress.city = "Boston"'), profile, ctx);
    expect(cmp.children[0].children[0]).toMatchObject({ text: 'xEvent.count()', value: 6 });
    expect(cmp.children[0].children[0].children[0]).toMatchObject({ text: 'xEvent', value: 6, events: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'] });
    expect(cmp.children[1].children.map((c) => c.value)).toEqual(['Boston', 'Boston']);
  });

  it('type-checks every conformance case against schemas that describe the fixture', () => {
    const profileFields = new Map<string, XdmType>([
      ['homeAddress', 'object'], ['homeAddress.countryCode', 'string'], ['homeAddress.city', 'string'],
      ['person.name.firstName', 'string'], ['person.name.lastName', 'string'], ['person.middleName', 'string'], ['person.birthDate', 'date'],
      ['person.age', 'integer'], ['person.gender', 'string'], ['emailAddress', 'string'], ['favoriteColors', 'array'], ['favoriteColors[]', 'string'],
      ['visitedCities', 'array'], ['favoriteCities', 'array'], ['scores', 'array'], ['scores[]', 'number'], ['orders', 'array'], ['orders[]', 'object'],
      ['orders[].storeId', 'string'], ['orders[].price', 'number'], ['identityMap', 'map'], ['loyalty.points', 'integer'], ['loyalty.tier', 'string'],
      ['loyalty.joined', 'date-time'], ['loyalty.lastVisit', 'date-time'], ['loyalty.renewal', 'date'], ['loyalty.leapDay', 'date-time'], ['vip', 'boolean'],
      ['missing', 'array'], ['missing[]', 'object'], ['missing[].price', 'number'],
    ]);
    const eventFields = new Map<string, XdmType>([
      ['_id', 'string'], ['timestamp', 'date-time'], ['eventType', 'string'], ['commerce.order.priceTotal', 'number'], ['commerce.order.currencyCode', 'string'],
      ['productListItems', 'array'], ['productListItems[]', 'object'], ['productListItems[].SKU', 'string'], ['productListItems[].quantity', 'integer'],
      ['productListItems[].priceTotal', 'number'],
    ]);
    // Cases that are deliberately ill-typed (they test runtime behaviour on wrong data).
    const illTyped = new Set([
      'person.age = "34"', 'person.age != "34"', 'person.age.startsWith("3")', 'person.name.firstName.x.isNull()', 'loyalty.tier.getMonth().isNull()',
      'loyalty.tier occurs today', 'homeAddress.countryCode.keys().isNull()', 'orders.min(storeId) = "A"', 'xEvent.min(timestamp)',
    ]);
    for (const [text] of CONDITIONS) {
      if (illTyped.has(text) || text.startsWith('"') || text.startsWith('date(')) continue;
      try {
        checkPql(parsePql(text), profileFields, eventFields);
      } catch (e) {
        throw new Error(`${text}: ${(e as Error).message}`);
      }
    }
  });

  it.each<[string, string | null]>([
    ['exists E from xEvent where E.timestamp occurs <= 7 days before now', '2024-03-08T12:00:00.000Z'],
    ['homeAddress.city = "x"', null],
    ['xEvent.count() > 1', null],
    [CHAIN_ADD_THEN_CHECKOUT, '2024-03-14T12:00:00.000Z'],
    ['(sum X.commerce.order.priceTotal over X from xEvent where X.timestamp occurs this month) > 1', '2024-03-01T00:00:00.000Z'],
    ['exists E from xEvent where E.timestamp occurs last week or E.eventType = "a"', null],
    ['exists E from xEvent where E.timestamp occurs last week and E.eventType = "a"', '2024-03-04T00:00:00.000Z'],
    ['xEvent.filter(timestamp > "2024-01-01").count() > 2', '2024-01-01T00:00:00.000Z'],
    ['(exists E from xEvent where E.timestamp occurs today) and (exists F from xEvent where F.timestamp occurs yesterday)', '2024-03-14T00:00:00.000Z'],
    ['not(exists E from xEvent where E.timestamp occurs between date(2024, 1, 1) and today)', '2024-01-01T00:00:00.000Z'],
  ])('eventWindow(%s) = %s', (text, window) => {
    expect(eventWindow(parsePql(text), NOW)).toBe(window);
  });

  it.each<[string, string | true]>([
    ['homeAddress.countryCode = "US" and inSegment("s1")', true],
    ['exists E from xEvent where E.eventType = "commerce.purchases"', true],
    ['vip and (exists E from xEvent where E.eventType = "x" and E.timestamp occurs <= 24 hours before now)', true],
    ['exists E from xEvent where E.timestamp occurs today', true],
    ['exists E from xEvent where E.timestamp occurs <= 2 days before now', 'longer than 24 hours'],
    ['xEvent.count() > 3', 'count() over events looks at several events'],
    [CHAIN_ADD_THEN_CHECKOUT, 'a sequence of events (chain)'],
    ['not(exists E from xEvent)', 'a negated event condition'],
    ['(count X over X from xEvent) > 2', 'the aggregate count over events'],
    ['forall E from xEvent : E.eventType = "a"', 'forall over events'],
  ])('streamingEligibility(%s)', (text, expected) => {
    const r = streamingEligibility(parsePql(text));
    if (expected === true) expect(r).toEqual({ eligible: true });
    else expect(r).toMatchObject({ eligible: false, reason: expect.stringContaining(expected) });
  });

  it('knows which expressions read events', () => {
    expect(usesEvents(parsePql('homeAddress.city = "x" and person.birthDate occurs today'))).toBe(false);
    expect(usesEvents(parsePql('vip or xEvent.count() > 0'))).toBe(true);
  });

  it('searches chains in polynomial time', () => {
    const events = Array.from({ length: 400 }, (_, k) => ({ _id: `x${k}`, timestamp: new Date(Date.UTC(2024, 2, 1) + k * 60_000).toISOString(), eventType: k % 2 ? 'a' : 'b' }));
    const ast = parsePql('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b") WHEN(<= 1 minute after A), C: WHAT(eventType = "a") WHEN(> 1 day after A)])');
    const started = Date.now();
    expect(evaluatePql(ast, { entity: {}, events }, ctx)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

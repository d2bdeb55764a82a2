import fc from 'fast-check';
import { extractIdentities } from '../../domain/identity/extract';
import { findNamespace, idTypeOf, identityKey, normalizeIdentity, parseIdentityKey, STANDARD_NAMESPACES } from '../../domain/identity/namespaces';
import type { IdType, Namespace } from '../../domain/identity/namespaces';

const std = (code: string) => findNamespace(STANDARD_NAMESPACES, code)!;
const custom = (id: number, code: string, idType: IdType): Namespace => ({ id, code, name: code, idType, description: '', custom: true, status: 'ACTIVE' });
const LOYALTY = custom(1_000_000, 'Loyalty', 'Cross_device');
const MOBILE = custom(1_000_001, 'mobile', 'Phone');
const LOYALTY_HASH = custom(1_000_002, 'loyalty_sha256', 'Cross_device');
const WORK_EMAIL = custom(1_000_003, 'WorkEmail', 'Email');
const ALL = [...STANDARD_NAMESPACES, LOYALTY, MOBILE, LOYALTY_HASH, WORK_EMAIL];
const HEX = 'a'.repeat(32) + '0123456789ABCDEF'.repeat(2);
const ECID = '1'.repeat(38);

describe('normalizeIdentity', () => {
  it.each<[string, Namespace, unknown, string | undefined, string | null]>([
    // Email: trimmed and lower-cased; must look like x@y.
    ['email lower-cased and trimmed', std('Email'), '  Jane.Doe@Example.COM ', undefined, 'jane.doe@example.com'],
    ['email of a custom Email namespace', WORK_EMAIL, 'Boss@Work.Example', undefined, 'boss@work.example'],
    ['email without @', std('Email'), 'jane.example.com', undefined, null],
    ['email with inner space', std('Email'), 'jane doe@example.com', undefined, null],
    // Phone: E.164 when it carries a country code (+ or 00) ...
    ['US international with punctuation', std('Phone'), '+1 (415) 555-2671', undefined, '+14155552671'],
    ['UK with 00 prefix', std('Phone'), '0044 20 7946 0958', undefined, '+442079460958'],
    ['UK with the trunk 0 after the country code', std('Phone'), '+44 (0)20 7946 0958', undefined, '+442079460958'],
    ['France with dots', std('Phone'), '+33.6.12.34.56.78', undefined, '+33612345678'],
    ['Germany', std('Phone'), '+49 30 123456', undefined, '+4930123456'],
    ['China mobile', std('Phone'), '+86 138 0013 8000', undefined, '+8613800138000'],
    ['custom Phone namespace', MOBILE, '0033 6 12 34 56 78', undefined, '+33612345678'],
    ['international but not a possible length: kept as +digits', std('Phone'), '+1555000025', undefined, '+1555000025'],
    // ... national numbers in the configured region's plan, else digits only.
    ['US national, region US', std('Phone'), '(415) 555-2671', 'US', '+14155552671'],
    ['UK national, region gb (any case)', std('Phone'), '020 7946 0958', 'gb', '+442079460958'],
    ['French national, region FR', std('Phone'), '06 12 34 56 78', 'FR', '+33612345678'],
    ['national without a region: digits only', std('Phone'), '415-555-2671', undefined, '4155552671'],
    ['national, unknown region: digits only', std('Phone'), '415 555 2671', 'XX', '4155552671'],
    ['too short', std('Phone'), '12345', undefined, null],
    ['too long', std('Phone'), '1234567890123456', undefined, null],
    ['letters', std('Phone'), 'tel:+14155552671', undefined, null],
    ['extension', std('Phone'), '+14155552671 ext 5', undefined, null],
    // Hashed namespaces (standard or custom *_sha256): 64 hex digits, lower-cased.
    ['email_lc_sha256 lower-cased', std('email_lc_sha256'), HEX, undefined, HEX.toLowerCase()],
    ['phone_sha256 is hashed, not a phone', std('phone_sha256'), ` ${HEX} `, undefined, HEX.toLowerCase()],
    ['custom _sha256 namespace', LOYALTY_HASH, HEX, undefined, HEX.toLowerCase()],
    ['hashed: 63 hex digits', std('email_lc_sha256'), HEX.slice(1), undefined, null],
    ['hashed: not hex', std('email_lc_sha256'), 'g'.repeat(64), undefined, null],
    ['hashed: an email in a hashed namespace', LOYALTY_HASH, 'jane@example.com', undefined, null],
    // ECID: exactly 38 digits.
    ['ECID 38 digits', std('ECID'), ECID, undefined, ECID],
    ['ECID 37 digits', std('ECID'), ECID.slice(1), undefined, null],
    ['ECID 39 digits', std('ECID'), `${ECID}1`, undefined, null],
    ['ECID with a letter', std('ECID'), `${ECID.slice(1)}a`, undefined, null],
    // Other types: trimmed, kept as they are (case matters).
    ['CRMID trimmed, case kept', std('CRMID'), ' Cust-42 ', undefined, 'Cust-42'],
    ['custom Cross_device', LOYALTY, 'L-0001', undefined, 'L-0001'],
    ['numbers are ids too', std('CRMID'), 42, undefined, '42'],
    // Never linked: blocked values, empty, too long, objects.
    ['blocked "null"', std('CRMID'), 'null', undefined, null],
    ['blocked "Anonymous"', std('CRMID'), 'Anonymous', undefined, null],
    ['blocked " INVALID "', LOYALTY, ' INVALID ', undefined, null],
    ['blocked "undefined"', std('Email'), 'undefined', undefined, null],
    ['blocked empty', std('CRMID'), '   ', undefined, null],
    ['null', std('CRMID'), null, undefined, null],
    ['an object', std('CRMID'), { id: 'x' }, undefined, null],
    ['1024 characters: kept', std('CRMID'), 'x'.repeat(1024), undefined, 'x'.repeat(1024)],
    ['1025 characters: rejected', std('CRMID'), 'x'.repeat(1025), undefined, null],
    ['a too long email', std('Email'), `${'a'.repeat(1020)}@b.co`, undefined, null],
  ])('%s', (_name, ns, raw, region, expected) => {
    expect(normalizeIdentity(ns, raw, { phoneRegion: region })).toBe(expected);
  });

  const phoneLike = fc.tuple(
    fc.constantFrom('', '+', '00', '+44 (0)', '(', '0'),
    fc.array(fc.constantFrom(...'0123456789'.split(''), ' ', '-', '.', ')', '/'), { minLength: 0, maxLength: 20 }),
  ).map(([p, cs]) => p + cs.join(''));
  const value = fc.oneof(
    fc.string(), fc.string({ unit: 'binary' }), phoneLike,
    fc.emailAddress().map((e) => ` ${e.toUpperCase()} `),
    fc.stringMatching(/^[0-9a-fA-F]{64}$/), fc.stringMatching(/^\d{36,40}$/),
    fc.constantFrom('null', 'NULL', ' anonymous', 'Invalid', 'undefined', ''),
  );

  it('is idempotent: a normalised value normalises to itself, in every namespace and region', () => {
    fc.assert(fc.property(fc.constantFrom(...ALL), value, fc.constantFrom(undefined, 'US', 'GB', 'FR', 'DE', 'IN', 'BR'), (ns, raw, region) => {
      const once = normalizeIdentity(ns, raw, { phoneRegion: region });
      if (once !== null) expect(normalizeIdentity(ns, once, { phoneRegion: region })).toBe(once);
    }), { numRuns: 3000 });
  });

  it('never yields a blocked or over-long value', () => {
    fc.assert(fc.property(fc.constantFrom(...ALL), value, (ns, raw) => {
      const v = normalizeIdentity(ns, raw);
      if (v !== null) {
        expect(['', 'null', 'anonymous', 'invalid', 'undefined']).not.toContain(v.toLowerCase());
        expect(v.length).toBeLessThanOrEqual(1024);
      }
    }), { numRuns: 1000 });
  });
});

describe('namespaces', () => {
  it('finds namespaces by code ignoring case, and reads identity types in AEP\'s casing too', () => {
    expect(findNamespace(ALL, 'loyalty')).toBe(LOYALTY);
    expect(findNamespace(ALL, 'EMAIL')?.id).toBe(6);
    expect(findNamespace(ALL, 'nope')).toBeUndefined();
    expect(idTypeOf('COOKIE')).toBe('Cookie');
    expect(idTypeOf('cross_device')).toBe('Cross_device');
    expect(idTypeOf('Person')).toBeUndefined();
  });

  it('round-trips identity keys whose value holds a colon', () => {
    expect(parseIdentityKey(identityKey('Loyalty', 'a:b'))).toEqual({ ns: 'Loyalty', id: 'a:b' });
  });
});

describe('extractIdentities with a sandbox\'s namespaces', () => {
  const record = { identityMap: { loyalty: [{ id: ' L-1 ', primary: true }], Phone: [{ id: '0044 20 7946 0958' }], Email: [{ id: 'anonymous' }] } };

  it('uses custom namespaces under their own code and normalises every value', () => {
    expect(extractIdentities(record, [], [], ALL)).toEqual({ keys: ['Loyalty:L-1', 'Phone:+442079460958'], issues: [] });
  });

  it('reports a namespace the sandbox does not have, by name', () => {
    const r = extractIdentities(record, [], [], STANDARD_NAMESPACES);
    expect(r.keys).toEqual(['Phone:+442079460958']);
    expect(r.issues).toEqual([expect.objectContaining({ message: expect.stringContaining('identity namespace "loyalty" is unknown') })]);
  });

  it('reads national phone numbers in the configured region', () => {
    const fields = [{ path: 'mobilePhone.number', namespace: 'Phone', primary: true }];
    expect(extractIdentities({ mobilePhone: { number: '020 7946 0958' } }, fields, [], ALL, { phoneRegion: 'GB' }).keys).toEqual(['Phone:+442079460958']);
    expect(extractIdentities({ mobilePhone: { number: '020 7946 0958' } }, fields, [], ALL).keys).toEqual(['Phone:02079460958']);
  });

  it('ignores malformed identityMap entries instead of failing', () => {
    expect(extractIdentities({ identityMap: { CRMID: [null, { id: 'c1' }], Email: 'x@y.z' } } as never, [], [], ALL).keys).toEqual(['CRMID:c1']);
  });
});

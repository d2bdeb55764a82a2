/** Identity namespaces: the standard ones AEP ships, custom ones a sandbox adds, and how each type normalises its values. */
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';

/** AEP's identity types (the API also answers them upper-cased, e.g. `COOKIE`). */
export const ID_TYPES = ['Cross_device', 'Device', 'Email', 'Phone', 'Non_people', 'Cookie'] as const;
export type IdType = (typeof ID_TYPES)[number];

export interface Namespace {
  id: number;
  code: string;
  name: string;
  idType: IdType;
  description: string;
  custom: boolean;
  status: 'ACTIVE';
  /** Epoch ms; absent on the standard namespaces. */
  createTime?: number;
  updateTime?: number;
}

/**
 * A custom namespace as stored: keyed by its lower-cased code (so `_id` uniqueness makes codes
 * unique case-insensitively), with its numeric AEP id in `nsId`.
 */
export type CustomNamespaceDoc = Omit<Namespace, 'id'> & { id: string; nsId: number };

/** Custom namespace ids start here, clear of every standard one. */
export const FIRST_CUSTOM_NAMESPACE_ID = 1_000_000;
/** A namespace code: what records name it by in `identityMap` and identity descriptors. */
export const NAMESPACE_CODE = /^[A-Za-z0-9_]{1,50}$/;

const std = (id: number, code: string, name: string, idType: IdType, description: string): Namespace =>
  ({ id, code, name, idType, description, custom: false, status: 'ACTIVE' });

export const STANDARD_NAMESPACES: Namespace[] = [
  std(4, 'ECID', 'Experience Cloud ID', 'Cookie', 'Adobe Experience Cloud ID'),
  std(6, 'Email', 'Email', 'Email', 'Email address'),
  std(7, 'Phone', 'Phone', 'Phone', 'Phone number'),
  std(11, 'email_lc_sha256', 'Emails (SHA256, lowercased)', 'Email', 'Lower-cased email, SHA-256 hashed'),
  std(12, 'phone_sha256', 'Phone (SHA256)', 'Phone', 'Phone number, SHA-256 hashed'),
  std(16, 'CRMID', 'CRM ID', 'Cross_device', 'Customer id from a CRM system'),
  std(20914, 'GAID', 'Google Ad ID', 'Device', 'Android advertising id'),
  std(20915, 'IDFA', 'Apple IDFA', 'Device', 'iOS advertising id'),
  std(20916, 'AAID', 'Adobe Analytics (legacy ID)', 'Cookie', 'Adobe Analytics cookie id'),
];

const BLOCKED = new Set(['', 'null', 'anonymous', 'invalid', 'undefined']);
export const MAX_ID_LENGTH = 1024;

/** The canonical spelling of an identity type given in any case (`COOKIE` → `Cookie`), or undefined. */
export const idTypeOf = (v: string): IdType | undefined => ID_TYPES.find((t) => t.toLowerCase() === v.toLowerCase());

export function findNamespace(all: Namespace[], code: string): Namespace | undefined {
  const lc = code.toLowerCase();
  return all.find((n) => n.code.toLowerCase() === lc);
}

/** Options of normalisation that come from configuration rather than from the namespace. */
export interface NormalizeOptions {
  /**
   * ISO 3166 country whose numbering plan national phone numbers (no `+`/`00` prefix) are read in.
   * Without one such numbers are kept as digits only (today's behaviour), because guessing a
   * country would link numbers that are not the same line.
   */
  phoneRegion?: string;
}

/** Phone numbers with their country code (and region-parseable national ones) become E.164. */
function normalizePhone(v: string, region?: string): string | null {
  let s = v.replace(/[\s().\-/]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!/^\+?\d+$/.test(s)) return null;
  const plausible = /^\+?\d{6,15}$/.test(s) ? s : null;
  const country = region && isSupportedCountry(region.toUpperCase()) ? (region.toUpperCase() as CountryCode) : undefined;
  if (!s.startsWith('+') && !country) return plausible;
  const parsed = parsePhoneNumberFromString(s, country);
  if (!parsed?.isPossible()) return plausible;
  // E.164 must be a fixpoint, or normalising twice would give another key for the same number.
  const again = parsePhoneNumberFromString(parsed.number);
  return again?.isPossible() && again.number === parsed.number ? parsed.number : plausible;
}

/** Hashed namespaces (standard or custom) are named `…_sha256` and hold a hex SHA-256 digest. */
export const isHashedNamespace = (ns: Namespace): boolean => ns.code.toLowerCase().endsWith('_sha256');

/**
 * Normalised value of an identity, or null when it must never link anything: a blocked value
 * (`null`, `anonymous`, `invalid`, `undefined`, empty — any case), a value longer than 1024
 * characters, or one of the wrong shape for its namespace (ECID: 38 digits; `*_sha256`: 64 hex
 * digits, lower-cased; Email: trimmed, lower-cased, `x@y`; Phone: E.164 where it can be read, else
 * 6-15 digits). Idempotent: a normalised value normalises to itself.
 */
export function normalizeIdentity(ns: Namespace, raw: unknown, opts: NormalizeOptions = {}): string | null {
  if (raw === null || raw === undefined || typeof raw === 'object') return null;
  const v = String(raw).trim();
  if (BLOCKED.has(v.toLowerCase()) || v.length > MAX_ID_LENGTH) return null;
  if (ns.code.toUpperCase() === 'ECID') return /^\d{38}$/.test(v) ? v : null;
  if (isHashedNamespace(ns)) return /^[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : null;
  if (ns.idType === 'Email') {
    const lc = v.toLowerCase();
    return /^[^\s@]+@[^\s@]+$/.test(lc) ? lc : null;
  }
  if (ns.idType === 'Phone') return normalizePhone(v, opts.phoneRegion);
  return v;
}

/** The key an identity is stored and linked under: `<code>:<normalised id>`. */
export const identityKey = (code: string, id: string): string => `${code}:${id}`;

export function parseIdentityKey(key: string): { ns: string; id: string } {
  const i = key.indexOf(':');
  return { ns: key.slice(0, i), id: key.slice(i + 1) };
}

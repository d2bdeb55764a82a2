/** Identity namespaces: the standard ones AEP ships, and how each type normalises its values. */
export type IdType = 'Cross_device' | 'Device' | 'Email' | 'Phone' | 'Non_people' | 'Cookie';

export interface Namespace {
  id: number;
  code: string;
  name: string;
  idType: IdType;
  description: string;
  custom: boolean;
  status: 'ACTIVE';
}

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
const MAX_ID_LENGTH = 1024;

export function findNamespace(all: Namespace[], code: string): Namespace | undefined {
  const lc = code.toLowerCase();
  return all.find((n) => n.code.toLowerCase() === lc);
}

/**
 * Normalised value of an identity, or null when it must never link anything
 * (blocked value, wrong shape for its namespace, too long).
 */
export function normalizeIdentity(ns: Namespace, raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  let v = String(raw).trim();
  if (BLOCKED.has(v.toLowerCase()) || v.length > MAX_ID_LENGTH) return null;
  if (ns.code === 'ECID') return /^\d{38}$/.test(v) ? v : null;
  if (ns.code.endsWith('_sha256')) return /^[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : null;
  if (ns.idType === 'Email') {
    v = v.toLowerCase();
    return /^[^\s@]+@[^\s@]+$/.test(v) ? v : null;
  }
  if (ns.idType === 'Phone') {
    const digits = v.replace(/[\s().-]/g, '');
    return /^\+?\d{6,15}$/.test(digits) ? digits : null;
  }
  return v;
}

/** The key an identity is stored and linked under: `<code>:<normalised id>`. */
export const identityKey = (code: string, id: string): string => `${code}:${id}`;

export function parseIdentityKey(key: string): { ns: string; id: string } {
  const i = key.indexOf(':');
  return { ns: key.slice(0, i), id: key.slice(i + 1) };
}

/**
 * Date parsing for Data Prep: strict ISO 8601, and Java-style patterns such as
 * "yyyy-MM-dd HH:mm:ss" or "MM/dd/yyyy". Results are UTC ISO date-times; a value without a
 * zone is read as UTC, so nothing depends on the machine's time zone.
 */

interface DateParts { y: number; M: number; d: number; H: number; m: number; s: number; ms: number; offsetMin: number; h12?: number; pm?: boolean }
type Field = { re: string; set?: (p: DateParts, v: string) => void };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const ZONE = 'Z|[+-]\\d{2}(?::?\\d{2})?';

const num = (key: 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'h12') => (p: DateParts, v: string) => { p[key] = Number(v); };
const digits = (count: number) => (count === 1 ? '\\d{1,2}' : `\\d{${count}}`);
const fraction = (p: DateParts, v: string) => { p.ms = Number(v.padEnd(3, '0').slice(0, 3)); };
const monthName = (p: DateParts, v: string) => { p.M = MONTHS.findIndex((m) => m.startsWith(v.toLowerCase())) + 1; };
const names = (list: string[], full: boolean) => list.map((n) => (full ? n : n.slice(0, 3))).join('|');

function offsetMinutes(z: string): number {
  if (z.toUpperCase() === 'Z') return 0;
  const [, sign, h, m] = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
  return (sign === '-' ? -1 : 1) * (Number(h) * 60 + Number(m ?? 0));
}

/** The regex piece and setter of one run of a pattern letter (`yyyy`, `MM`, `a`…). */
function field(letter: string, count: number): Field {
  switch (letter) {
    case 'y':
    case 'u':
      return count === 2 ? { re: '\\d{2}', set: (p, v) => { p.y = 2000 + Number(v); } } : { re: '\\d{4}', set: num('y') };
    case 'M':
      if (count >= 3) return { re: names(MONTHS, count >= 4), set: monthName };
      return { re: digits(count), set: num('M') };
    case 'd': return { re: digits(count), set: num('d') };
    case 'H': return { re: digits(count), set: num('H') };
    case 'h': return { re: digits(count), set: num('h12') };
    case 'm': return { re: digits(count), set: num('m') };
    case 's': return { re: digits(count), set: num('s') };
    case 'S': return { re: `\\d{${count}}`, set: fraction };
    case 'a': return { re: 'AM|PM', set: (p, v) => { p.pm = v.toUpperCase() === 'PM'; } };
    case 'E': return { re: names(DAYS, count >= 4) };
    case 'X':
    case 'x':
    case 'Z':
      return { re: ZONE, set: (p, v) => { p.offsetMin = offsetMinutes(v); } };
    default:
      throw new Error(`unsupported date pattern letter "${letter}"`);
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Splits a Java pattern into letter runs and literals ('quoted' text and punctuation). */
function tokens(pattern: string): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i];
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      out.push(field(c, j - i));
      i = j;
    } else if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated quote in date pattern');
      out.push({ re: escapeRe(end === i + 1 ? "'" : pattern.slice(i + 1, end)) });
      i = end + 1;
    } else {
      out.push({ re: escapeRe(c) });
      i++;
    }
  }
  return out;
}

function lastDay(y: number, M: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, M, 0);
  return d.getUTCDate();
}

/** The UTC ISO string of valid parts; null for impossible ones (Feb 30, hour 24, month 13…). */
function toIso(p: DateParts): string | null {
  if (p.h12 !== undefined) {
    if (p.h12 < 1 || p.h12 > 12) return null;
    p.H = (p.h12 % 12) + (p.pm ? 12 : 0);
  }
  if (p.M < 1 || p.M > 12 || p.d < 1 || p.d > lastDay(p.y, p.M) || p.H > 23 || p.m > 59 || p.s > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(p.y, p.M - 1, p.d);
  d.setUTCHours(p.H, p.m, p.s, p.ms);
  const t = d.getTime() - p.offsetMin * 60_000;
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

const blank = (): DateParts => ({ y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, ms: 0, offsetMin: 0 });
const cache = new Map<string, (text: string) => string | null>();

/**
 * Compiles a Java-style date pattern to a parser returning a UTC ISO date-time, or null when
 * the text does not match. Throws for a pattern it does not support. Memoised per pattern.
 */
export function compileDateFormat(pattern: string): (text: string) => string | null {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const fields = tokens(pattern);
  const re = new RegExp(`^${fields.map((f) => `(${f.re})`).join('')}$`, 'i');
  const parse = (text: string) => {
    const m = re.exec(text.trim());
    if (!m) return null;
    const parts = blank();
    fields.forEach((f, i) => f.set?.(parts, m[i + 1]));
    return toIso(parts);
  };
  if (cache.size >= 100) cache.clear();
  cache.set(pattern, parse);
  return parse;
}

const ISO = new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?(${ZONE})?)?$`, 'i');

/** An ISO 8601 date or date-time, or epoch milliseconds, as a UTC ISO date-time; null when it is not one. */
export function parseIsoDateTime(v: unknown): string | null {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? new Date(v).toISOString() : null;
  if (typeof v !== 'string') return null;
  const m = ISO.exec(v.trim());
  if (!m) return null;
  const [, y, M, d, H, mi, s, frac, zone] = m;
  return toIso({ ...blank(), y: +y, M: +M, d: +d, H: +(H ?? 0), m: +(mi ?? 0), s: +(s ?? 0), ms: frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0, offsetMin: zone ? offsetMinutes(zone) : 0 });
}

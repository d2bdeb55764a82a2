/**
 * PQL time: which strings are timestamps, calendar arithmetic and the intervals `occurs` tests.
 *
 * - Everything is UTC. Instants are epoch milliseconds.
 * - A timestamp is a string in one of two forms, the ones OpenXP stores: the canonical date-time
 *   `YYYY-MM-DDTHH:mm:ss.sssZ` (Date#toISOString, what ingestion writes for every date-time field
 *   and event timestamp) or a date `YYYY-MM-DD` (midnight UTC). Calendar-invalid strings
 *   (2023-02-29) and other spellings are not timestamps. TIMESTAMP_RE is shared with to-mongo.ts,
 *   so the database recognises exactly the same strings.
 * - A time reference is an interval [start, end): an instant t is [t, t + 1 ms); a date, `today`,
 *   `yesterday`, `tomorrow` are UTC days; `this|last|next UNIT` are calendar periods.
 * - Weeks start on Monday (ISO 8601). A decade is years …0–…9, a century …00–…99, a millennium
 *   …000–…999 (e.g. 2000–2099 is "this century" in 2024).
 * - Month arithmetic keeps the day of month and clamps it to the target month's length
 *   (31 March minus 1 month = 28/29 February); years are 12 months, decades 120, and so on.
 */
import type { TimeUnit } from './ast';

const MONTH31 = '(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])';
const MONTH30 = '(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)';
const FEB = '02-(?:0[1-9]|1\\d|2[0-8])';
const LEAP_YEAR = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
/** A calendar-valid `YYYY-MM-DD` (years 0000–9999, proleptic Gregorian). */
export const DATE_PART = `(?:\\d{4}-(?:${MONTH31}|${MONTH30}|${FEB})|${LEAP_YEAR}-02-29)`;
export const DATE_RE_SOURCE = `^${DATE_PART}$`;
export const DATE_TIME_RE_SOURCE = `^${DATE_PART}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{3}Z$`;
const DATE_RE = new RegExp(DATE_RE_SOURCE);
const DATE_TIME_RE = new RegExp(DATE_TIME_RE_SOURCE);

const DAY = 86_400_000;
const FIXED: Partial<Record<TimeUnit, number>> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: DAY, week: 7 * DAY };
const MONTHS: Partial<Record<TimeUnit, number>> = { month: 1, year: 12, decade: 120, century: 1200, millennium: 12_000 };

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), valid for any year. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** [year, month 1-12, day, ms within the day] of an instant. */
export function civil(t: number): [number, number, number, number] {
  const days = Math.floor(t / DAY);
  const ms = t - days * DAY;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, ms];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Epoch ms of a PQL timestamp string (see above), or null when the value is not one. */
export function parseTimestamp(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  if (DATE_TIME_RE.test(v)) {
    const days = daysFromCivil(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));
    return days * DAY + Number(v.slice(11, 13)) * 3_600_000 + Number(v.slice(14, 16)) * 60_000 + Number(v.slice(17, 19)) * 1000 + Number(v.slice(20, 23));
  }
  if (DATE_RE.test(v)) return daysFromCivil(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10))) * DAY;
  return null;
}
/** True for a date-only timestamp (a whole UTC day when used as a time reference). */
export const isDateOnly = (v: unknown): boolean => typeof v === 'string' && DATE_RE.test(v);

/** Canonical ISO date-time of an instant (years 0000-9999 only; undefined outside). */
export function isoOf(t: number): string | undefined {
  const [y, m, d, ms] = civil(t);
  if (y < 0 || y > 9999) return undefined;
  const h = Math.floor(ms / 3_600_000);
  const mi = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}Z`;
}
/** `YYYY-MM-DD` of the UTC day containing t (years 0000-9999 only). */
export const isoDateOf = (t: number): string | undefined => isoOf(t)?.slice(0, 10);

/** t moved by n units (negative n moves back); calendar units clamp the day of month. */
export function addUnits(t: number, n: number, unit: TimeUnit): number {
  const fixed = FIXED[unit];
  if (fixed !== undefined) return t + n * fixed;
  const [y, m, d, ms] = civil(t);
  const total = y * 12 + (m - 1) + n * MONTHS[unit]!;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  const dim = nm === 2 ? (ny % 4 === 0 && (ny % 100 !== 0 || ny % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(nm) ? 30 : 31;
  return daysFromCivil(ny, nm, Math.min(d, dim)) * DAY + ms;
}

/** Start of the calendar period of `unit` containing t. */
export function startOf(t: number, unit: TimeUnit): number {
  const fixed = FIXED[unit];
  if (unit === 'week') {
    const days = Math.floor(t / DAY);
    // 1970-01-01 was a Thursday: (days + 3) mod 7 is days since Monday.
    return (days - (((days + 3) % 7) + 7) % 7) * DAY;
  }
  if (fixed !== undefined) return Math.floor(t / fixed) * fixed;
  const [y, m] = civil(t);
  const span = { month: 0, year: 1, decade: 10, century: 100, millennium: 1000 }[unit as 'month'];
  if (unit === 'month') return daysFromCivil(y, m, 1) * DAY;
  return daysFromCivil(Math.floor(y / span) * span, 1, 1) * DAY;
}

/** Half-open interval [start, end) in epoch ms; `period`: it is one calendar period of that unit. */
export interface Interval { start: number; end: number; period?: TimeUnit }

export function periodInterval(now: number, which: 'this' | 'last' | 'next', unit: TimeUnit): Interval {
  const start = addUnits(startOf(now, unit), which === 'this' ? 0 : which === 'last' ? -1 : 1, unit);
  return { start, end: addUnits(start, 1, unit), period: unit };
}
export const dayInterval = (t: number): Interval => ({ start: Math.floor(t / DAY) * DAY, end: Math.floor(t / DAY) * DAY + DAY, period: 'day' });
export const instant = (t: number): Interval => ({ start: t, end: t + 1 });
/**
 * The interval moved by n units: its start moves (clamping the day of month), and it keeps its
 * kind: a calendar period stays one period long (31 March − 1 month = the day 29 February in
 * 2024; March − 1 month = February), an instant stays an instant.
 */
export function shift(i: Interval, n: number, unit: TimeUnit): Interval {
  const start = addUnits(i.start, n, unit);
  return { start, end: i.period ? addUnits(start, 1, i.period) : start + (i.end - i.start), ...(i.period ? { period: i.period } : {}) };
}

/**
 * The instants a `When` accepts, as a union of intervals, given its time reference T (and U, the
 * `until` of between). With S = T moved by N units (back for before, forward for after/from):
 *
 *   on T            T                         before T   (-∞, T.start)      after T  [T.end, ∞)
 *   between T and U [T.start, U.end)
 *   = N before T    S                         = N after T    S
 *   < N before T    [S.end, T.end)            < N after T    [T.start, S.start)
 *   <= N before T   [S.start, T.end)          <= N after T   [T.start, S.end)
 *   > N before T    (-∞, S.start)             > N after T    [S.end, ∞)
 *   >= N before T   (-∞, S.end)               >= N after T   [S.start, ∞)
 *   != N before T   (-∞, S.start) ∪ [S.end, T.end)    != N after T  [T.start, S.start) ∪ [S.end, ∞)
 *
 * So `occurs <= 7 days before now` is now − 7 days ≤ t ≤ now, and `= 1 day before today` is
 * yesterday. `from` reads like `after` ("3 days from now").
 */
export function whenRanges(
  w: { test: 'on' | 'before' | 'after' | 'between' | 'distance'; op?: string; amount?: number; unit?: TimeUnit; direction?: string },
  t: Interval, u?: Interval,
): Interval[] {
  const INF = Number.POSITIVE_INFINITY;
  switch (w.test) {
    case 'on': return [t];
    case 'before': return [{ start: -INF, end: t.start }];
    case 'after': return [{ start: t.end, end: INF }];
    case 'between': return [{ start: t.start, end: u!.end }];
    default: break;
  }
  const back = w.direction === 'before';
  const s = shift(t, back ? -w.amount! : w.amount!, w.unit!);
  const r = (start: number, end: number): Interval => ({ start, end });
  if (back) {
    switch (w.op) {
      case '=': return [s];
      case '<': return [r(s.end, t.end)];
      case '<=': return [r(s.start, t.end)];
      case '>': return [r(-INF, s.start)];
      case '>=': return [r(-INF, s.end)];
      default: return [r(-INF, s.start), r(s.end, t.end)];
    }
  }
  switch (w.op) {
    case '=': return [s];
    case '<': return [r(t.start, s.start)];
    case '<=': return [r(t.start, s.end)];
    case '>': return [r(s.end, INF)];
    case '>=': return [r(s.start, INF)];
    default: return [r(t.start, s.start), r(s.end, INF)];
  }
}

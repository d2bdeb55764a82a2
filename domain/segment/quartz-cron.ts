import { DomainError } from '../shared/errors';

/**
 * Quartz cron (what AEP's `/config/schedules` takes: `sec min hour day-of-month month
 * day-of-week [year]`, day-of-week 1–7 with SUN = 1, `?` for "no specific value") converted to
 * Temporal Schedule calendar specs (the same shape as the SDK's `CalendarSpec`; a moment fires
 * when it matches every field of any one calendar, in UTC).
 *
 * Written by hand: the npm cron parsers compute next fire times for Unix or Quartz cron, none
 * translates Quartz into Temporal's calendar ranges, and the grammar is small. Supported: `*`,
 * `?`, lists, ranges (wrapping ones too), steps (`*\/n`, `a/n`, `a-b/n`), month and day names,
 * `L` (last day of the month), `nL` (last weekday n of the month), `n#k` (k-th weekday n).
 * `W`, `LW` and `L-n` have no calendar equivalent and are refused.
 */
export const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;
export const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type MonthName = (typeof MONTHS)[number];
export type DayName = (typeof DAYS)[number];
export interface CalRange<U> { start: U; end: U; step: number }
export interface CalendarSpecLike {
  second: CalRange<number>[];
  minute: CalRange<number>[];
  hour: CalRange<number>[];
  dayOfMonth: CalRange<number>[];
  month: CalRange<MonthName>[];
  /** Absent = every year. */
  year?: CalRange<number>[];
  dayOfWeek: CalRange<DayName>[];
  comment: string;
}

interface FieldSpec { name: string; min: number; max: number; names?: readonly string[] }
const FIELDS: FieldSpec[] = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS.map((m) => m.slice(0, 3)) },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS.map((d) => d.slice(0, 3)) },
  // Quartz takes 1970-2099; Temporal calendars take 2000-2100, and earlier years never come again.
  { name: 'year', min: 2000, max: 2099 },
];
const fail = (rule: string) => new DomainError('UNPROCESSABLE', `schedule: ${rule}`, 'schedule');
type R = CalRange<number>;

function value(f: FieldSpec, raw: string): number {
  const named = f.names?.indexOf(raw.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + f.min : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < f.min || n > f.max) throw fail(`"${raw}" is not a valid ${f.name} value (${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : ''})`);
  return n;
}

/** One comma-separated field → ranges (a wrapping range such as FRI-MON becomes two). */
function ranges(f: FieldSpec, text: string): R[] {
  return text.split(',').flatMap((item): R[] => {
    const [span, stepText, extra] = item.split('/');
    if (extra !== undefined || span === '') throw fail(`"${item}" is not a valid ${f.name} item`);
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) && Number(stepText) > 0 ? Number(stepText) : NaN;
    if (Number.isNaN(step)) throw fail(`"${item}": the step after "/" in ${f.name} must be a positive integer`);
    let start: number;
    let end: number;
    if (span === '*') [start, end] = [f.min, f.max];
    else if (span.includes('-')) {
      const [a, b] = span.split('-');
      [start, end] = [value(f, a), value(f, b)];
    } else [start, end] = [value(f, span), stepText === undefined ? value(f, span) : f.max];
    if (end >= start) return [{ start, end, step }];
    const last = start + Math.floor((f.max - start) / step) * step;
    const next = last + step - (f.max - f.min + 1);
    return next <= end ? [{ start, end: f.max, step }, { start: next, end, step }] : [{ start, end: f.max, step }];
  });
}

const expand = (rs: R[]): number[] => [...new Set(rs.flatMap((r) => Array.from({ length: Math.floor((r.end - r.start) / r.step) + 1 }, (_, i) => r.start + i * r.step)))].sort((a, b) => a - b);
const single = (n: number): R => ({ start: n, end: n, step: 1 });
// Leap years within Temporal's calendar range (2000-2100): 2000 is one, 2100 is not.
const LEAP: R[] = [{ start: 2000, end: 2096, step: 4 }];
const NON_LEAP: R[] = [{ start: 2001, end: 2097, step: 4 }, { start: 2002, end: 2098, step: 4 }, { start: 2003, end: 2099, step: 4 }, { start: 2100, end: 2100, step: 1 }];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const LENGTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Per-month day-of-month ranges for "the last days of the month": `lastDays(len)` gives the
 * ranges for a month of `len` days. February splits by leap year.
 */
function byMonthLength(months: number[], years: R[] | null, lastDays: (len: number) => R): { month: number[]; dayOfMonth: R; year: R[] | null }[] {
  const out: { month: number[]; dayOfMonth: R; year: R[] | null }[] = [];
  for (const len of [31, 30]) {
    const ms = months.filter((m) => LENGTH[m - 1] === len);
    if (ms.length) out.push({ month: ms, dayOfMonth: lastDays(len), year: years });
  }
  if (months.includes(2)) {
    const pick = (leap: boolean): R[] => (years ? expand(years).filter((y) => isLeap(y) === leap).map(single) : leap ? LEAP : NON_LEAP);
    for (const leap of [true, false]) {
      const ys = pick(leap);
      if (ys.length) out.push({ month: [2], dayOfMonth: lastDays(leap ? 29 : 28), year: ys });
    }
  }
  return out;
}

/** Quartz cron → Temporal calendar specs (any one matching fires). Throws a 422-style DomainError naming `schedule`. */
export function quartzToCalendars(expression: string): CalendarSpecLike[] {
  const parts = expression.trim().split(/\s+/);
  if (parts.length < 6 || parts.length > 7) throw fail(`a Quartz cron expression has 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), got ${parts.length}`);
  const [sec, min, hour, dom, month, dow, year] = parts;
  if (dom === '?' && dow === '?') throw fail('"?" may stand in only one of day-of-month and day-of-week');
  if (dom !== '?' && dow !== '?' && dom !== '*' && dow !== '*') throw fail('day-of-month and day-of-week cannot both be set: put "?" in one of them');
  for (const [text, name] of [[sec, 'seconds'], [min, 'minutes'], [hour, 'hours'], [month, 'month'], [year ?? '*', 'year']]) {
    if (/[?#]/.test(text)) throw fail(`"${text}": ? and # are only allowed in day-of-month and day-of-week, not in ${name}`);
  }
  const base = {
    second: ranges(FIELDS[0], sec), minute: ranges(FIELDS[1], min), hour: ranges(FIELDS[2], hour),
    month: ranges(FIELDS[4], month), year: year === undefined || year === '*' ? null : ranges(FIELDS[6], year),
  };
  let days: { dayOfMonth: R[]; dayOfWeek: R[]; month?: number[]; year?: R[] | null }[];
  const allDom = [{ start: 1, end: 31, step: 1 }];
  const allDow = [{ start: 1, end: 7, step: 1 }];
  const months = expand(base.month);
  if (/W/i.test(dom) || /^L-/i.test(dom)) throw fail(`"${dom}": W, LW and L-n in day-of-month have no Temporal calendar equivalent`);
  if (/^L$/i.test(dom)) {
    days = byMonthLength(months, base.year, (len) => single(len)).map((g) => ({ dayOfMonth: [g.dayOfMonth], dayOfWeek: allDow, month: g.month, year: g.year }));
  } else if (/L/i.test(dom)) {
    throw fail(`"${dom}" is not a valid day-of-month (L stands alone)`);
  } else if (/^\w+#\d$/.test(dow)) {
    const [d, k] = dow.split('#');
    const nth = Number(k);
    if (nth < 1 || nth > 5) throw fail(`"${dow}": the week number after # must be 1-5`);
    days = [{ dayOfMonth: [{ start: 7 * (nth - 1) + 1, end: Math.min(7 * nth, 31), step: 1 }], dayOfWeek: [single(value(FIELDS[5], d))] }];
  } else if (/^(\d|[A-Z]{3})L$/i.test(dow)) {
    const d = value(FIELDS[5], dow.slice(0, -1));
    days = byMonthLength(months, base.year, (len) => ({ start: len - 6, end: len, step: 1 })).map((g) => ({ dayOfMonth: [g.dayOfMonth], dayOfWeek: [single(d)], month: g.month, year: g.year }));
  } else if (dow.includes('#')) {
    throw fail(`"${dow}" is not a valid day-of-week (n#k stands alone)`);
  } else {
    days = [{
      dayOfMonth: dom === '?' || dom === '*' ? allDom : ranges(FIELDS[3], dom),
      dayOfWeek: dow === '?' || dow === '*' ? allDow : ranges(FIELDS[5], dow.toUpperCase() === 'L' ? '7' : dow),
    }];
  }
  const monthNames = (rs: R[]) => rs.map((r) => ({ start: MONTHS[r.start - 1], end: MONTHS[r.end - 1], step: r.step }));
  return days.map((d) => ({
    second: base.second, minute: base.minute, hour: base.hour,
    dayOfMonth: d.dayOfMonth,
    month: monthNames(d.month ? d.month.map(single) : base.month),
    ...((d.year === undefined ? base.year : d.year) ? { year: (d.year === undefined ? base.year : d.year)! } : {}),
    dayOfWeek: d.dayOfWeek.map((r) => ({ start: DAYS[r.start - 1], end: DAYS[r.end - 1], step: r.step })),
    comment: `Quartz: ${expression.trim()}`,
  }));
}

/** True when a moment (UTC) matches one of the calendars: what Temporal fires on (used by tests and previews). */
export function calendarsMatch(calendars: CalendarSpecLike[], at: Date): boolean {
  const inR = (rs: CalRange<number>[], v: number) => rs.some((r) => v >= r.start && v <= Math.max(r.start, r.end) && (v - r.start) % Math.max(1, r.step) === 0);
  const named = <U extends string>(rs: CalRange<U>[], names: readonly U[]) => rs.map((r) => ({ start: names.indexOf(r.start), end: names.indexOf(r.end), step: r.step }));
  return calendars.some((c) => inR(c.second, at.getUTCSeconds()) && inR(c.minute, at.getUTCMinutes()) && inR(c.hour, at.getUTCHours())
    && inR(c.dayOfMonth, at.getUTCDate()) && inR(named(c.month, MONTHS), at.getUTCMonth()) && (!c.year || inR(c.year, at.getUTCFullYear()))
    && inR(named(c.dayOfWeek, DAYS), at.getUTCDay()));
}

import { calendarsMatch, quartzToCalendars } from '../../domain/segment/quartz-cron';

/** Every fire time of a Quartz expression within [from, from + spanMs), at second resolution. */
function fires(expr: string, from: string, spanMs: number, everyMs = 1000): string[] {
  const cals = quartzToCalendars(expr);
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(from) + spanMs; t += everyMs) if (calendarsMatch(cals, new Date(t))) out.push(new Date(t).toISOString());
  return out;
}
const DAY = 86_400_000;

describe('Quartz cron → Temporal calendar specs', () => {
  it('converts AEP\'s daily example: 0 0 1 * * ? = 01:00:00 UTC every day', () => {
    const [cal] = quartzToCalendars('0 0 1 * * ?');
    expect(cal).toMatchObject({ second: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 1, end: 1, step: 1 }], dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }] });
    expect(fires('0 0 1 * * ?', '2026-03-01T00:00:00Z', 2 * DAY, 60_000)).toEqual(['2026-03-01T01:00:00.000Z', '2026-03-02T01:00:00.000Z']);
  });

  it('keeps the seconds field: */5 fires every five seconds', () => {
    expect(fires('*/5 * * * * ?', '2026-03-01T00:00:00Z', 20_000)).toEqual(['00', '05', '10', '15'].map((s) => `2026-03-01T00:00:${s}.000Z`));
    expect(fires('10/20 * * * * ?', '2026-03-01T00:00:00Z', 60_000)).toEqual(['10', '30', '50'].map((s) => `2026-03-01T00:00:${s}.000Z`));
  });

  it('maps Quartz day-of-week (1-7, SUN = 1) and names onto Temporal\'s days', () => {
    // 2026-03-02 is a Monday.
    const mondays = (e: string) => fires(e, '2026-03-01T00:00:00Z', 14 * DAY, 3_600_000);
    expect(mondays('0 0 9 ? * 2')).toEqual(['2026-03-02T09:00:00.000Z', '2026-03-09T09:00:00.000Z']);
    expect(mondays('0 0 9 ? * MON')).toEqual(mondays('0 0 9 ? * 2'));
    expect(fires('0 0 9 ? * MON-FRI', '2026-03-01T00:00:00Z', 7 * DAY, 3_600_000)).toHaveLength(5);
    expect(fires('0 0 9 ? * 1', '2026-03-01T00:00:00Z', 7 * DAY, 3_600_000)).toEqual(['2026-03-01T09:00:00.000Z']);
    expect(fires('0 0 9 ? * FRI-MON', '2026-03-01T00:00:00Z', 7 * DAY, 3_600_000)).toHaveLength(4);
    expect(fires('0 0 9 ? * WED,sat', '2026-03-01T00:00:00Z', 7 * DAY, 3_600_000)).toEqual(['2026-03-04T09:00:00.000Z', '2026-03-07T09:00:00.000Z']);
  });

  it('handles lists, ranges with steps, months by name, wrapping hours and years', () => {
    expect(fires('0 0,30 8-10/2 * * ?', '2026-03-01T00:00:00Z', DAY, 60_000)).toEqual(['08:00', '08:30', '10:00', '10:30'].map((h) => `2026-03-01T${h}:00.000Z`));
    expect(fires('0 0 22-1 * * ?', '2026-03-01T00:00:00Z', DAY, 3_600_000)).toEqual(['00', '01', '22', '23'].map((h) => `2026-03-01T${h}:00:00.000Z`));
    expect(fires('0 0 0 1 JAN,JUL ?', '2026-01-01T00:00:00Z', 365 * DAY, DAY)).toEqual(['2026-01-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']);
    expect(fires('0 0 0 1 1 ? 2027', '2026-01-01T00:00:00Z', 800 * DAY, DAY)).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('L = last day of the month (leap years included), nL = last weekday n, n#k = k-th weekday n', () => {
    const lastDays = fires('0 0 0 L * ?', '2028-01-01T00:00:00Z', 366 * DAY, DAY).map((s) => s.slice(0, 10));
    expect(lastDays.slice(0, 3)).toEqual(['2028-01-31', '2028-02-29', '2028-03-31']);
    expect(lastDays).toHaveLength(12);
    expect(fires('0 0 0 L 2 ?', '2027-01-01T00:00:00Z', 365 * DAY, DAY)).toEqual(['2027-02-28T00:00:00.000Z']);
    expect(fires('0 0 0 L 2 ?', '2100-01-01T00:00:00Z', 365 * DAY, DAY)).toEqual(['2100-02-28T00:00:00.000Z']);
    expect(quartzToCalendars('0 0 0 1 * ?')[0].year).toBeUndefined();
    // Third Friday of March 2026 is the 20th; last Friday is the 27th.
    expect(fires('0 0 12 ? 3 6#3', '2026-03-01T00:00:00Z', 31 * DAY, 3_600_000)).toEqual(['2026-03-20T12:00:00.000Z']);
    expect(fires('0 0 12 ? 3 6L', '2026-03-01T00:00:00Z', 31 * DAY, 3_600_000)).toEqual(['2026-03-27T12:00:00.000Z']);
    expect(fires('0 0 12 ? 2 FRIL', '2028-02-01T00:00:00Z', 29 * DAY, 3_600_000)).toEqual(['2028-02-25T12:00:00.000Z']);
  });

  it.each([
    ['0 0 1 * *', /6 or 7 fields/],
    ['0 0 1 * * ? 2030 x', /6 or 7 fields/],
    ['60 0 1 * * ?', /"60" is not a valid seconds value/],
    ['0 0 24 * * ?', /hours/],
    ['0 0 1 ? * ?', /only one of day-of-month and day-of-week/],
    ['0 0 1 1 * MON', /cannot both be set/],
    ['0 0 1 15W * ?', /no Temporal calendar equivalent/],
    ['0 0 1 L-2 * ?', /no Temporal calendar equivalent/],
    ['0 0 1 ? * 2#6', /1-5/],
    ['0 0 1 ? * 8', /day-of-week value/],
    ['0 */0 1 * * ?', /positive integer/],
    ['? 0 1 * * ?', /only allowed in day-of-month and day-of-week/],
    ['0 0 1 * FOO ?', /month value/],
    ['0 0 1 ? * 5W', /day-of-week value/],
    ['0 0 1 1 1 ? 1999', /year value \(2000-2099\)/],
    ['0 0 1 ? * 2#1,3', /n#k stands alone|1-5|day-of-week/],
  ])('refuses %s, naming the schedule field', (expr, message) => {
    expect(() => quartzToCalendars(expr)).toThrow(message);
    try {
      quartzToCalendars(expr);
    } catch (e) {
      expect((e as { field?: string; message: string }).message.startsWith('schedule: ')).toBe(true);
      expect((e as { field?: string }).field).toBe('schedule');
    }
  });
});

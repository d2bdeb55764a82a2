import { nextMembership } from '../../domain/segment/membership';
import type { Membership } from '../../domain/segment/membership';

const NOW = '2026-11-29T12:00:00.000Z';
const EARLIER = '2026-11-01T00:00:00.000Z';
const m = (status: Membership['status'], jobId?: string): Membership => ({ status, lastQualificationTime: EARLIER, ...(jobId ? { jobId } : {}) });

describe('nextMembership', () => {
  it.each([
    ['never in, qualifies → realized now', undefined, true, { status: 'realized', lastQualificationTime: NOW, jobId: 'j2' }],
    ['never in, does not qualify → nothing', undefined, false, undefined],
    ['realized, still qualifies → existing, time kept', m('realized', 'j1'), true, { status: 'existing', lastQualificationTime: EARLIER, jobId: 'j2' }],
    ['existing, stops qualifying → exited now', m('existing', 'j1'), false, { status: 'exited', lastQualificationTime: NOW, jobId: 'j2' }],
    ['exited, qualifies again → realized now', m('exited', 'j1'), true, { status: 'realized', lastQualificationTime: NOW, jobId: 'j2' }],
    ['exited, still out → unchanged', m('exited', 'j1'), false, m('exited', 'j1')],
  ])('%s', (_name, cur, qualifies, expected) => {
    expect(nextMembership(cur, qualifies, 'j2', NOW)).toEqual(expected);
  });

  it('leaves what the same job wrote untouched, so a retried partition changes and counts nothing twice', () => {
    const first = nextMembership(m('existing', 'j1'), true, 'j2', NOW)!;
    expect(nextMembership(first, true, 'j2', NOW)).toBe(first);
    const realized = nextMembership(undefined, true, 'j2', NOW)!;
    expect(nextMembership(realized, true, 'j2', NOW)).toBe(realized);
  });
});

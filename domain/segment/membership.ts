/** A profile's membership in one segment, as stored in `segmentMembership.ups.<segmentId>`. */
export interface Membership {
  status: 'realized' | 'existing' | 'exited';
  lastQualificationTime: string;
  /** The segment job that last wrote it, so a retried evaluation recognises its own writes. */
  jobId?: string;
}

export const QUALIFIED: readonly Membership['status'][] = ['realized', 'existing'];

/**
 * The membership after a job evaluated the profile: newly qualifying → realized (at `now`),
 * still qualifying → existing (keeping its qualification time; unchanged when already existing), no longer qualifying → exited (at
 * `now`), never qualified → none. What this job already wrote stays as it is, so a retry neither
 * turns its own `realized` into `existing` nor counts anything twice.
 */
export function nextMembership(cur: Membership | undefined, qualifies: boolean, jobId: string, now: string): Membership | undefined {
  if (cur?.jobId === jobId) return cur;
  const wasIn = !!cur && QUALIFIED.includes(cur.status);
  // A profile already `existing` stays as stored (no write): stable audiences cost no writes per job.
  if (qualifies && wasIn) return cur!.status === 'existing' ? cur : { ...cur!, status: 'existing', jobId };
  if (qualifies) return { status: 'realized', lastQualificationTime: now, jobId };
  if (wasIn) return { status: 'exited', lastQualificationTime: now, jobId };
  return cur;
}

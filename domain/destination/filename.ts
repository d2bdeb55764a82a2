/** AEP's default file name for batch destinations. */
export const DEFAULT_FILENAME_TEMPLATE = '%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats a UTC time with the Java-style tokens AEP's templates use (yyyy/YYYY, MM, dd, HH, mm, ss). */
export function formatDateTime(pattern: string, at: Date): string {
  const parts: Record<string, string> = {
    YYYY: String(at.getUTCFullYear()), yyyy: String(at.getUTCFullYear()), MM: pad(at.getUTCMonth() + 1), dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()), mm: pad(at.getUTCMinutes()), ss: pad(at.getUTCSeconds()),
  };
  return pattern.replace(/YYYY|yyyy|MM|dd|HH|mm|ss/g, (t) => parts[t]);
}

/** File name for one audience export; unsafe characters in names become '_'. */
export function renderFilename(template: string, v: { destinationName: string; segmentId: string; segmentName: string; at: Date }): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return template
    .replaceAll('%DESTINATION_NAME%', safe(v.destinationName))
    .replaceAll('%SEGMENT_ID%', v.segmentId)
    .replaceAll('%SEGMENT_NAME%', safe(v.segmentName))
    .replace(/%DATETIME\(([^)]*)\)%/g, (_m, p: string) => formatDateTime(p, v.at));
}

export interface SegmentSelector {
  type: 'PLATFORM_SEGMENT';
  value: {
    id: string;
    name?: string;
    filenameTemplate?: string;
    exportMode?: 'DAILY_FULL_EXPORT' | 'FIRST_FULL_THEN_INCREMENTAL';
    schedule?: { frequency: string; startDate?: string; startTime?: string; triggerType?: string };
  };
}

/** Formats a millisecond epoch as ClickHouse's DateTime64(3) text form in UTC: `YYYY-MM-DD hh:mm:ss.sss`. */
export function toChDateTime64(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-28T10:15:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Parses an ISO-8601 timestamp with zone (already validated) to epoch milliseconds. */
export function isoToMs(ts: string): number {
  return Date.parse(ts);
}

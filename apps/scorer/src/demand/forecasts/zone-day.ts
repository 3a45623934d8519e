// Calendar days in the shop time zone (docs/models.md "Demand": the day boundary is the zone's
// midnight). A day is counted in days since 1970-01-01 of the zone's local calendar.

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local calendar day (days since 1970-01-01) of the instant `ms` in `timeZone`. */
export function dayInZone(ms: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const y = get('year');
  const m = get('month');
  const d = get('day');
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d))
    throw new Error(`cannot read the calendar day of ${new Date(ms).toISOString()} in ${timeZone}`);
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** YYYY-MM-DD of a day number. */
export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of a YYYY-MM-DD date. */
export function isoToDay(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** The start of the UTC hour of `ms`, ISO-8601: the generation hour of a forecast run. */
export function hourIso(ms: number): string {
  return new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();
}

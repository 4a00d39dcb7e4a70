// A shop's opening hours: spans of local time per weekday (a span may run past midnight), whole
// days closed (a holiday, works), in the shop's time zone (Paris by default, summer time included).

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7; // ISO: Monday = 1 … Sunday = 7

export interface OpeningHours {
  /** Per weekday, [opens, closes] as "HH:MM" local time; a close at or before the open runs past midnight. */
  week: Partial<Record<Weekday, [string, string][]>>;
  /** Local dates ("YYYY-MM-DD") the shop does not open; a span that began the evening before still ends. */
  closedOn?: string[];
  timeZone?: string;
}

const PARIS = 'Europe/Paris';
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

interface Local {
  y: number;
  mo: number;
  d: number;
  minutes: number;
}

function localOf(at: number, timeZone: string): Local & { s: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return { y: +parts.year, mo: +parts.month, d: +parts.day, minutes: +parts.hour * 60 + +parts.minute, s: +parts.second };
}

/** Minutes since midnight of "HH:MM" (24:00 allowed as a close); NaN when malformed. */
export function parseTime(hhmm: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return Number.NaN;
  const minutes = +m[1] * 60 + +m[2];
  return minutes <= 24 * 60 ? minutes : Number.NaN;
}

const dateKey = (l: { y: number; mo: number; d: number }) => `${l.y}-${String(l.mo).padStart(2, '0')}-${String(l.d).padStart(2, '0')}`;

/** The local calendar day `offset` days from l (calendar arithmetic, no time zone involved). */
function addDays(l: { y: number; mo: number; d: number }, offset: number) {
  const t = new Date(Date.UTC(l.y, l.mo - 1, l.d) + offset * DAY_MS);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), weekday: (((t.getUTCDay() + 6) % 7) + 1) as Weekday };
}

/** The instant a local time of a day has in a time zone (at a summer-time gap, the instant just after). */
function instantOf(day: { y: number; mo: number; d: number }, minutes: number, timeZone: string): number {
  const wall = Date.UTC(day.y, day.mo - 1, day.d) + minutes * 60_000;
  const offsetAt = (t: number) => {
    const l = localOf(t, timeZone);
    return Date.UTC(l.y, l.mo - 1, l.d) + l.minutes * 60_000 + l.s * 1000 - Math.floor(t / 1000) * 1000;
  };
  let t = wall - offsetAt(wall);
  const again = wall - offsetAt(t);
  if (again !== t) t = Math.max(t, again);
  return t;
}

function spansOf(hours: OpeningHours, weekday: Weekday): [number, number][] {
  return (hours.week[weekday] ?? [])
    .map(([o, c]) => [parseTime(o), parseTime(c)] as [number, number])
    .filter(([o, c]) => Number.isFinite(o) && Number.isFinite(c));
}

/** Whether the shop is open at that instant. */
export function isOpenAt(hours: OpeningHours, at: Date): boolean {
  const tz = hours.timeZone ?? PARIS;
  const now = localOf(at.getTime(), tz);
  const closed = new Set(hours.closedOn ?? []);
  const today = addDays(now, 0);
  const yesterday = addDays(now, -1);
  if (!closed.has(dateKey(today))) {
    for (const [o, c] of spansOf(hours, today.weekday)) {
      if (c > o ? now.minutes >= o && now.minutes < c : now.minutes >= o) return true;
    }
  }
  // last night's span that runs past midnight
  if (!closed.has(dateKey(yesterday))) {
    for (const [o, c] of spansOf(hours, yesterday.weekday)) if (c <= o && now.minutes < c) return true;
  }
  return false;
}

/** When the shop next opens from that instant (the instant itself when open), or null if not within a week. */
export function nextOpening(hours: OpeningHours, from: Date): Date | null {
  if (isOpenAt(hours, from)) return from;
  const tz = hours.timeZone ?? PARIS;
  const now = localOf(from.getTime(), tz);
  const closed = new Set(hours.closedOn ?? []);
  for (let offset = 0; offset <= 7; offset++) {
    const day = addDays(now, offset);
    if (closed.has(dateKey(day))) continue;
    const opens = spansOf(hours, day.weekday)
      .map(([o]) => instantOf(day, o, tz))
      .filter((t) => t > from.getTime())
      .sort((a, b) => a - b);
    if (opens.length) return new Date(opens[0]);
  }
  return null;
}

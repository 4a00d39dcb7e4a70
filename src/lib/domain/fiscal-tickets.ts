// The numbers a certifier reads: each kind of record a shop prints or closes is numbered on its
// own, without a gap, while all of them stay in the shop's one signed chain (whose `seq` counts
// every entry: sales, payments, refunds, corrections, duplicates, closings). A sales ticket, a
// credit note, a duplicate and a closing each carry `numbered: { series, no }` in their body,
// signed with it: the third cash sale after two others is sales ticket 3, whatever was written
// between them. The database checks each number is the next of its series (migration 0092), the
// verifier finds a gap, and a receipt's "Ticket n°" is its sale's number.
import type { CanonicalValue } from './fiscal-chain.ts';

/** The series, in the order a closing lists them. */
export const TICKET_SERIES = ['sale', 'credit_note', 'duplicate', 'closing'] as const;
export type TicketSeries = (typeof TICKET_SERIES)[number];

/** Each series' last number in a chain (a series not used yet: absent). */
export type TicketCounters = Partial<Record<TicketSeries, number>>;

/** The series an entry is numbered in, or null (payments, cancellations, corrections are not tickets). */
export function ticketSeriesOf(kind: string, body: { [key: string]: CanonicalValue }): TicketSeries | null {
  if (kind === 'sale' || kind === 'duplicate' || kind === 'closing') return kind;
  if (kind === 'refund' && body.creditNote === true) return 'credit_note';
  return null;
}

/** The body with its number in its series after `counters` (unchanged when it is no ticket), and the counters after it. */
export function numbered(kind: string, body: { [key: string]: CanonicalValue }, counters: TicketCounters = {}): { body: { [key: string]: CanonicalValue }; counters: TicketCounters } {
  const series = ticketSeriesOf(kind, body);
  if (!series) return { body, counters };
  const no = (counters[series] ?? 0) + 1;
  return { body: { ...body, numbered: { series, no } }, counters: { ...counters, [series]: no } };
}

/** The number an entry carries in its series (null: none, as entries written before the series were). */
export function ticketNoOf(body: { [key: string]: unknown }): { series: TicketSeries; no: number } | null {
  const n = body.numbered as { series?: unknown; no?: unknown } | undefined;
  if (!n || typeof n.no !== 'number' || !(TICKET_SERIES as readonly unknown[]).includes(n.series)) return null;
  return { series: n.series as TicketSeries, no: n.no };
}

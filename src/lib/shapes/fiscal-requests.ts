// What the fiscal pages and their JSON API accept: a correction of how an order was paid, and the
// period and format of an e-reporting export. Messages are keys of the `form` messages (src/lib/i18n).
import { z } from 'zod';
import { CORRECTABLE_METHODS } from '../domain/fiscal-corrections.ts';
import { noControl } from './order-requests.ts';

/** A correction of how a part of an order's payment was taken, with its reason. */
export const paymentCorrectionSchema = z.strictObject({
  part: z.enum(['paid', 'handover'], 'form.choose'),
  to: z.enum(CORRECTABLE_METHODS, 'form.choose'),
  // signed into the fiscal journal as written: printable text only (no escape, bell or other control character)
  reason: z.string().trim().min(3, 'form.correctionReason').max(300, 'form.tooLong').refine(noControl, 'form.control'),
  // a manager of the shop confirming it, when the counter needs one (beyond its corrections of a shift)
  manager: z.strictObject({ email: z.string().trim().min(3).max(200), password: z.string().min(1).max(200) }).optional(),
});
export type PaymentCorrectionRequest = z.infer<typeof paymentCorrectionSchema>;

/** An export's period (Paris dates, both included) and format. */
export const ereportingQuery = z.strictObject({
  from: z.iso.date('form.date'),
  to: z.iso.date('form.date'),
  format: z.enum(['csv', 'json'], 'form.choose').optional(),
});

/** The screens that report a spell offline (src/lib/shared/staff-actions.ts): their page. */
export const OFFLINE_SCREENS = ['counter', 'kitchen', 'pass', 'driver'] as const;
/** The taps a screen queues while offline, by kind (StaffAction['kind']). */
export const OFFLINE_TAPS = ['place', 'advance', 'shift', 'deliver', 'fail', 'line', 'urgent', 'recall'] as const;
/** How far back a spell offline may be reported, and how long one may last (a screen left off a weekend). */
export const OFFLINE_REPORT_DAYS = 7;
export const OFFLINE_MAX_HOURS = 72;

/** A screen's spell offline during which it queued taps, reported once it is back (a JET `offline_period`). */
export const offlinePeriodSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'form.invalid'),
  screen: z.enum(OFFLINE_SCREENS, 'form.choose'),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  taps: z.partialRecord(z.enum(OFFLINE_TAPS), z.int().min(0).max(10_000)),
}).refine((p) => Date.parse(p.from) < Date.parse(p.to), { path: ['to'], message: 'the spell ends after it starts' })
  .refine((p) => Date.parse(p.to) - Date.parse(p.from) <= OFFLINE_MAX_HOURS * 3_600_000, { path: ['from'], message: `a spell offline lasts at most ${OFFLINE_MAX_HOURS} hours` })
  .refine((p) => Date.parse(p.to) <= Date.now() + 5 * 60_000 && Date.parse(p.from) >= Date.now() - OFFLINE_REPORT_DAYS * 86_400_000, { path: ['to'], message: `a spell of the last ${OFFLINE_REPORT_DAYS} days, not in the future` })
  .refine((p) => Object.values(p.taps).some((n) => (n ?? 0) > 0), { path: ['taps'], message: 'a spell during which the screen queued something' });
export type OfflinePeriodRequest = z.infer<typeof offlinePeriodSchema>;

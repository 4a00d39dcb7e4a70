// What the drivers' pay page and its JSON API accept (src/lib/server/staff/driver-pay.ts): a shop's pay
// rule from a day on, in cents through the API or in euros as typed on the page ("11,65"), and a
// payroll period, checked by the service (400 for dates that are not, reversed or too long).
import { z } from 'zod';

const cents = (max: number) => z.coerce.number({ error: 'form.number' }).int('form.whole').min(0, 'form.notNegative').max(max, 'form.tooBig');
/** Euros with a comma or a point, at most two decimals, kept in cents. */
const euros = (max: number) =>
  z.string().trim().regex(/^\d{1,4}([.,]\d{1,2})?$/, 'form.price')
    .transform((v) => Math.round(Number(v.replace(',', '.')) * 100))
    .pipe(z.number().max(max, 'form.tooBig'));

/** The most each part may be (the database checks them too): 100 € an hour, 50 € a delivery, 10 € a km. */
export const PAY_LIMITS = { centsPerHour: 10_000, centsPerDelivery: 5_000, centsPerKm: 1_000 } as const;

export const payRuleSchema = z.strictObject({
  validFrom: z.iso.date('form.date').optional(),
  centsPerHour: cents(PAY_LIMITS.centsPerHour),
  centsPerDelivery: cents(PAY_LIMITS.centsPerDelivery),
  centsPerKm: cents(PAY_LIMITS.centsPerKm),
});

/** The page's form: the shop, the day it starts, each part in euros (empty: 0). */
export const payRuleFormSchema = z.strictObject({
  pizzeriaId: z.coerce.number().int().positive().max(2_147_483_647),
  validFrom: z.iso.date('form.date'),
  perHour: euros(PAY_LIMITS.centsPerHour),
  perDelivery: euros(PAY_LIMITS.centsPerDelivery),
  perKm: euros(PAY_LIMITS.centsPerKm),
});

/** A payroll's period as given; the service says what is wrong with it. */
export const payrollQuery = z.strictObject({
  from: z.string().max(40),
  to: z.string().max(40),
  lang: z.enum(['fr', 'en'], 'form.lang').optional(),
});

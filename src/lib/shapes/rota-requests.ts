// What the rota page's forms send (src/routes/manager/rota): a shift as a Paris date and its start
// and end times (an end at or before the start is the next morning), a week by any of its dates,
// and a role's hourly cost in euros.
import { z } from 'zod';
import { ROTA_ROLES } from '../domain/rota.ts';

const id = z.coerce.number().int().positive().max(2_147_483_647);
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'rota.errors.time');
const role = z.enum(ROTA_ROLES as unknown as [string, ...string[]], 'form.choose');

export const shiftSchema = z.strictObject({
  pizzeriaId: id,
  userId: id,
  role: role.optional(),
  date: z.iso.date('form.date'),
  start: time,
  end: time,
});
export const shiftChangeSchema = shiftSchema.omit({ pizzeriaId: true }).extend({ id });
export const shiftIdSchema = z.strictObject({ id });
export const copyWeekSchema = z.strictObject({ pizzeriaId: id, monday: z.iso.date('form.date') });
/** An hourly cost in euros (a comma or a point), kept in cents. */
export const rateSchema = z.strictObject({
  pizzeriaId: id,
  role,
  euros: z.string().regex(/^\d{1,4}([.,]\d{1,2})?$/, 'form.price').transform((v) => Math.round(Number(v.replace(',', '.')) * 100)),
});

// What a customer sends to rate an order, and what the managers' ratings page asks for: read by
// the API (server/api/ratings.ts) and the back-office page alike.
import { z } from 'zod';
import { RATING_COMMENT_MAX } from '../domain/ratings.ts';
import { idParam } from './order-requests.ts';

const stars = z.number('from 1 to 5 stars').int('from 1 to 5 stars').min(1, 'from 1 to 5 stars').max(5, 'from 1 to 5 stars');

// a comment may run over lines; other control characters (NUL, escapes) are not text
const noControlButNewlines = (s: string) => !/[^\P{Cc}\n\t]/u.test(s.replace(/\r\n?/g, '\n'));

export const ratingSchema = z.strictObject({
  food: stars,
  /** Only for a delivery (a pickup has no delivery to rate): the service checks it against the order. */
  delivery: stars.optional(),
  comment: z
    .string('text')
    .transform((s) => s.replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().max(RATING_COMMENT_MAX, `at most ${RATING_COMMENT_MAX} characters`).refine(noControlButNewlines, 'no control characters'))
    .transform((s) => s || null)
    .nullable()
    .optional(),
});
export type RatingRequest = z.infer<typeof ratingSchema>;

/** The managers' period: from and to (Paris days, both included), a shop (head office: any, else every shop). */
export const ratingsQuery = z
  .strictObject({
    from: z.iso.date('form.date').optional(),
    to: z.iso.date('form.date').optional(),
    pizzeriaId: idParam.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'form.dateOrder', path: ['to'] });
export type RatingsQuery = z.infer<typeof ratingsQuery>;

// A customer's rating of an order once it is handed over: the food, and the delivery when there
// was one (1 to 5 stars each), and a comment. What counts as low raises an alert to the shop's
// managers.
import { HANDED_OVER_STATUSES, isIn, type Fulfilment } from './order-states.ts';

export const STARS = [1, 2, 3, 4, 5] as const;
export const RATING_COMMENT_MAX = 500;
/** A rating at or under this many stars, for the food or the delivery, is an alert for the shop's managers. */
export const LOW_RATING_MAX = 2;
/** Low ratings stay on the managers' live page this long after they came in (an evening). */
export const LOW_RATING_ALERT_MS = 12 * 60 * 60_000;
/** The manager's page reads this many days by default (today included). */
export const DEFAULT_RATING_DAYS = 30;

/** Only an order in the customer's hands is rated. */
export const canRate = (status: string): boolean => isIn(HANDED_OVER_STATUSES, status);

/** What is rated: the food always; the delivery only for a delivery (a pickup had no ride). */
export const ratesDelivery = (fulfilment: Fulfilment): boolean => fulfilment === 'delivery';

export interface RatingScores {
  food: number;
  delivery: number | null;
}

export const isLowRating = (r: RatingScores): boolean => r.food <= LOW_RATING_MAX || (r.delivery !== null && r.delivery <= LOW_RATING_MAX);

/** An average of stars to one decimal (null: nothing rated). */
export const averageStars = (sum: number, count: number): number | null => (count ? Math.round((10 * sum) / count) / 10 : null);

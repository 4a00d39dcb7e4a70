// A delivery platform's order on the kitchen's screens: the words of its handover and of its
// cancellation, and the tune a cancellation plays (one the platform made has its own, so the cook
// knows without looking that nobody here cancelled it). Plain functions, used by the kitchen screen
// and its tickets.
import type { OrderView } from '../../shapes/views.ts';
import { cancelledByPlatform, collectedByCourier } from '../../shared/platform-orders.ts';

/** Which cancel tune a cancelled ticket plays: ours, or the platform's. */
export const cancelTune = (o: OrderView): 'platform' | 'ours' => (cancelledByPlatform(o) ? 'platform' : 'ours');

/** The handover button of a ready pickup: to the platform's courier, or to our customer. */
export const handOverLabel = (o: Pick<OrderView, 'fulfilment' | 'marketplace'>): string => (collectedByCourier(o) ? 'platform.handOver' : 'kitchen.handedOver');

/** A cancelled ticket's note: "Cancelled by Uber Eats" or our own "Cancelled — do not make". */
export const cancelNote = (o: OrderView): string => (cancelledByPlatform(o) ? 'platform.cancelledBy' : 'kitchen.cancelled');

// What a delivery's card links to and says of its distance: plain text, tested alone.
import type { OrderView } from '../../shapes/views.ts';

/** Directions open the phone's maps app: the spot when there is one, else the address. */
export function directionsUrl(address: OrderView['address']): string {
  if (address?.lat != null && address.lng != null) return `https://www.google.com/maps/dir/?api=1&destination=${address.lat},${address.lng}`;
  return address ? `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(`${address.street}, ${address.postcode ?? ''} ${address.city}`)}` : '#';
}

/** A phone number as the phone dials it: digits and the leading plus. */
export const dialable = (phone: string) => phone.replace(/[^+0-9]/g, '');

/** How far an offered delivery is from the shop, in kilometres with one decimal (all a driver is told of its address before accepting). */
export const km = (metres: number, locale: string) => (metres / 1000).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** The amount typed at the door ("12,50" or "12.50"), in cents. */
export const typedCents = (amount: string) => Math.round(Number(amount.replace(',', '.')) * 100);

// What the counter checks itself as it takes an order, as plain functions its taker and its tests
// share: the fields to fill in before the order goes (the server says the rest), a whole address,
// the product search, a size's short name, and which known address an earlier order went to.
import type { Fulfilment } from '../../domain/order-states.ts';

interface Typed {
  phone: string;
  name: string;
  street: string;
  postcode: string;
  city: string;
  fulfilment: Fulfilment;
}

/** An address the geocoder can read: a street, a five-digit postcode and a city. */
export const addressComplete = (a: { street: string; postcode: string; city: string }): boolean =>
  !!a.street.trim() && /^\d{5}$/.test(a.postcode.trim()) && !!a.city.trim();

/** What the counter must fill in before the order goes, by field (the server's names): the server says the rest. */
export function missingFields({ phone, name, street, postcode, city, fulfilment }: Typed): Record<string, string> {
  const local: Record<string, string> = {};
  if (!phone.trim()) local['customer.phone'] = 'required';
  if (!name.trim()) local['customer.name'] = 'required';
  if (fulfilment === 'delivery') {
    if (!street.trim()) local['address.street'] = 'required';
    if (!/^\d{5}$/.test(postcode.trim())) local['address.postcode'] = 'required';
    if (!city.trim()) local['address.city'] = 'required';
  }
  return local;
}

/** A name as the search compares it: without accents, in lower case ("Pâtes" finds "pates"). */
export const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** A size's name on its chip: "Grande", its diameter left to the menu. */
export const shortSize = (name: string): string => name.replace(/\s*\([^)]*\)$/, '');

/** The known address an earlier order went to (the same street and postcode), or -1. */
export const addressIndexOf = (
  addresses: readonly { street: string; postcode: string }[],
  at: { street: string; postcode: string } | null,
): number => (at ? addresses.findIndex((a) => a.street === at.street && a.postcode === at.postcode) : -1);

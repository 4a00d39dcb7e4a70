// Uber Eats carries an eater's allergy per item, apart from the notes: GET /v2/eats/order/{id}
// answers cart.items[].special_requests.allergy with allergens_to_exclude[] (each a type or a
// freeform_text) and allergy_instructions (developer.uber.com/docs/eats/references/api/v2/get-eats-order-orderid;
// accept_pos_order's fields_relayed.item_special_requests says an integration shows them,
// developer.uber.com/docs/eats/references/api/v1/post-eats-order-orderid-acceptposorder). Read into
// the order's allergy, it becomes the order's allergy note; the item's special_instructions stay its note.
// Deliveroo's order documents no allergy field of its own (its customer writes in order_notes): none read.
import { describe, expect, it } from 'vitest';
import { orderOf } from '../../src/lib/server/marketplaces/uber-eats-shapes.ts';
import { allergyNoteOf } from '../../src/lib/server/flows/platform-taking.ts';
import { cartItem } from '../uber-eats-server.ts';

const v2Order = (items: Record<string, unknown>[]) => ({
  id: 'f9f363d1-e1c2-4595-b477-c649845bc953', display_id: 'BC953', current_state: 'CREATED', type: 'DELIVERY_BY_UBER',
  store: { id: 'ue-store-1' }, eater: { first_name: 'Camille' }, placed_at: new Date().toISOString(),
  cart: { special_instructions: 'sonnez deux fois', items },
});

describe("an Uber Eats eater's allergy", () => {
  it('is read from each item\'s special requests, apart from the notes, and becomes one plain allergy note', () => {
    const withAllergy = {
      ...cartItem('p1', 'Margherita', 1, 1100), special_instructions: 'bien cuite',
      // the field as Uber documents it (see the header)
      special_requests: { allergy: { allergens_to_exclude: [{ type: 'PEANUTS' }, { freeform_text: 'pignons' }], allergy_instructions: 'allergie sévère' } },
    };
    const order = orderOf(v2Order([withAllergy, cartItem('p2', 'Reine', 1, 1200)]));
    expect(order.allergy).toBe('Margherita: PEANUTS, pignons, allergie sévère');
    expect(order.lines[0].note).toBe('bien cuite');
    expect(order.customer.note).toBe('sonnez deux fois');
    expect(allergyNoteOf(order)).toBe('Margherita: PEANUTS, pignons, allergie sévère');
  });

  it('is none when no item carries one, and a note too long or with control characters is kept plain and short', () => {
    expect(orderOf(v2Order([cartItem('p1', 'Margherita', 1, 1100)])).allergy).toBeNull();
    // special requests as a list of them: read the same
    const listed = orderOf(v2Order([{ ...cartItem('p1', 'Margherita', 1, 1100), special_requests: [{ allergy: { allergens_to_exclude: [{ type: 'DAIRY' }] } }] }]));
    expect(listed.allergy).toBe('Margherita: DAIRY');
    const odd = orderOf(v2Order([{ ...cartItem('p1', 'Margherita', 1, 1100), special_requests: { allergy: { allergy_instructions: `lait\u0007\n${'x'.repeat(300)}` } } }]));
    const note = allergyNoteOf(odd)!;
    expect(note.length).toBe(200);
    expect(note.startsWith('Margherita: lait x')).toBe(true);
  });
});

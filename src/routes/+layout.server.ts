import { config } from '$lib/server/kernel/config.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => ({
  locale: locals.locale,
  user: locals.user ? { id: locals.user.id, name: locals.user.name, role: locals.user.role, pizzeriaId: locals.user.pizzeriaId } : null,
  /** Whether a customer is signed in (the header's "my account"). */
  customerSignedIn: !!locals.customer,
  /** Where every map's tiles come from ("none": drawn on a blank map). */
  mapTiles: config().MAP_TILE_URL,
});

import { passwordSchema } from '$lib/shapes/back-office-requests.ts';
import { formChange } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { linkInfo, setPasswordWithLink } from '$lib/server/staff/staff.ts';
import type { Actions, PageServerLoad } from './$types';

// the link from an invitation or a reset email: who it is for, while it can still be used
export const load: PageServerLoad = async ({ url }) => {
  const token = url.searchParams.get('token') ?? '';
  const ok = passwordSchema.shape.token.safeParse(token);
  return { token, link: ok.success ? await linkInfo(db(), token) : null };
};

export const actions: Actions = {
  default: ({ request, locals }) =>
    formChange(request, locals.locale, 'password', ['token', 'password'], passwordSchema, (d) => setPasswordWithLink(db(), d.token, d.password)),
};

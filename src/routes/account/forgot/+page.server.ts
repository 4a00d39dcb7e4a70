import { forgotSchema } from '$lib/back-office-requests.ts';
import { formChange, pageLinks } from '$lib/server/back-office-forms.ts';
import { db } from '$lib/server/db.ts';
import { requestPasswordReset } from '$lib/server/staff.ts';
import type { Actions } from './$types';

export const actions: Actions = {
  // the same answer whether or not an account has this email
  default: ({ request, locals, url }) =>
    formChange(request, locals.locale, 'forgot', ['email'], forgotSchema, async (d) => requestPasswordReset(db(), d.email, await pageLinks(url))),
};

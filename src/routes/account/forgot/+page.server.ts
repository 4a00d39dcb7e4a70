import { forgotSchema } from '$lib/shapes/back-office-requests.ts';
import { formChange } from '$lib/server/staff/back-office-forms.ts';
import { sharedAccountQueue } from '$lib/server/kernel/queues.ts';
import { requestPasswordReset } from '$lib/server/staff/staff.ts';
import type { Actions } from './$types';

export const actions: Actions = {
  // the same answer, after the same work, whether or not an account has this email: the workers send the link
  default: ({ request, locals }) =>
    formChange(request, locals.locale, 'forgot', ['email'], forgotSchema, async (d) => requestPasswordReset(await sharedAccountQueue(), d.email)),
};

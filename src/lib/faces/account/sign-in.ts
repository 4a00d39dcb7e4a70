// What a refused sign-in says, as plain rules the account's forms and their tests share: the
// message key for a code that could not be sent, a code refused, and a guest order not confirmed.

/** The answer of a refused request: its HTTP status (null with no answer) and its error code. */
export interface Refusal {
  status: number | null;
  code: string | null;
}

/** A code that could not be sent (POST /api/customer/code). */
export const sendProblem = ({ status, code }: Refusal): string =>
  code === 'sms_not_allowed' ? 'me.smsNotAllowed'
  : code === 'sms_paused' ? 'me.smsPaused'
  : status === 429 ? 'me.tooMany'
  : status === 422 ? 'me.badContact'
  : 'me.failed';

/** A code refused (POST /api/customer/session). */
export const codeProblem = ({ status, code }: Refusal): string =>
  code === 'bad_code' ? 'me.badCode'
  : code === 'code_expired' ? 'me.codeExpired'
  : status === 429 ? 'me.tooMany'
  : status === 422 ? 'me.badCodeShape'
  : 'me.failed';

/** A guest order not confirmed by its number (POST /api/customer/orders/<id>/confirm). */
export const confirmProblem = ({ status, code }: Refusal): string =>
  code === 'wrong_number' ? 'me.confirmWrong'
  : code === 'no_more_tries' || status === 404 ? 'me.confirmGone'
  : status === 422 ? 'me.confirmBadNumber'
  : 'me.failed';

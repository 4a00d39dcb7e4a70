import { describe, expect, it } from 'vitest';
import { codeProblem, confirmProblem, sendProblem } from './sign-in.ts';
import { messagesOf } from '../../i18n/catalogue.ts';

const fr = messagesOf('fr');
const en = messagesOf('en');

/** Whether the messages have this key (a dotted path). */
const has = (messages: object, key: string) => typeof key.split('.').reduce<any>((m, k) => m?.[k], messages) === 'string';

describe('what a refused sign-in says', () => {
  it('says why a code could not be sent', () => {
    expect(sendProblem({ status: 403, code: 'sms_not_allowed' })).toBe('me.smsNotAllowed');
    expect(sendProblem({ status: 503, code: 'sms_paused' })).toBe('me.smsPaused');
    expect(sendProblem({ status: 429, code: 'rate_limited' })).toBe('me.tooMany');
    expect(sendProblem({ status: 422, code: 'invalid_body' })).toBe('me.badContact');
    expect(sendProblem({ status: null, code: null })).toBe('me.failed');
  });

  it('says why a code was refused', () => {
    expect(codeProblem({ status: 401, code: 'bad_code' })).toBe('me.badCode');
    expect(codeProblem({ status: 401, code: 'code_expired' })).toBe('me.codeExpired');
    expect(codeProblem({ status: 429, code: null })).toBe('me.tooMany');
    expect(codeProblem({ status: 422, code: 'invalid_body' })).toBe('me.badCodeShape');
    expect(codeProblem({ status: 500, code: 'internal' })).toBe('me.failed');
  });

  it('says why a guest order was not confirmed', () => {
    expect(confirmProblem({ status: 422, code: 'wrong_number' })).toBe('me.confirmWrong');
    expect(confirmProblem({ status: 409, code: 'no_more_tries' })).toBe('me.confirmGone');
    expect(confirmProblem({ status: 404, code: 'not_found' })).toBe('me.confirmGone');
    expect(confirmProblem({ status: 422, code: 'invalid_body' })).toBe('me.confirmBadNumber');
    expect(confirmProblem({ status: null, code: null })).toBe('me.failed');
  });

  it('says it in words both languages have', () => {
    const refusals = [
      { status: null, code: null }, { status: 404, code: null }, { status: 422, code: null }, { status: 429, code: null },
      ...['sms_not_allowed', 'sms_paused', 'bad_code', 'code_expired', 'wrong_number', 'no_more_tries'].map((code) => ({ status: 400, code })),
    ];
    for (const r of refusals) {
      for (const key of [sendProblem(r), codeProblem(r), confirmProblem(r)]) {
        expect(has(fr, key), key).toBe(true);
        expect(has(en, key), key).toBe(true);
      }
    }
  });
});

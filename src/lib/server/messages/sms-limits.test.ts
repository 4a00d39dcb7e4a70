// Which numbers are texted, and how the texts of an hour are counted (in memory here; in Redis in
// tests/road/sms-limits.test.ts).
import { describe, expect, it } from 'vitest';
import { allowedPrefixOf, GuardedSmsProvider, rangeOf, SmsWithheld, type SmsLimitReached } from './sms-limits.ts';
import type { Sms, SmsProvider } from '../kernel/sms.ts';

const FRANCE = ['+33', '+262', '+590', '+594', '+596'];

describe('the countries texted', () => {
  it('France and its overseas departments, Mayotte with La Réunion; not the Comoros nor satellites', () => {
    for (const to of ['+33612345678', '+262692123456', '+262639123456', '+590690123456', '+594694123456', '+596696123456']) {
      expect(allowedPrefixOf(to, FRANCE), to).not.toBeNull();
    }
    for (const to of ['+269332123456', '+881631234567', '+870773123456', '+447700900123', '+3712000000', '+3232123456']) {
      expect(allowedPrefixOf(to, FRANCE), to).toBeNull();
    }
  });

  it('the longest prefix names the range', () => {
    expect(allowedPrefixOf('+33612345678', ['+33', '+336'])).toBe('+336');
    expect(rangeOf('+33612345678', '+33', 4)).toBe('+336123');
    expect(rangeOf('+262692123456', '+262', 4)).toBe('+2626921');
  });
});

describe('a provider behind the limits', () => {
  const sink = () => {
    const sent: Sms[] = [];
    let failing = false;
    const provider: SmsProvider = {
      name: 'sink',
      async send(sms) {
        if (failing) throw new Error('gateway down');
        sent.push(sms);
        return String(sent.length);
      },
    };
    return { sent, provider, fail: (f: boolean) => (failing = f) };
  };
  const policy = { allowedPrefixes: FRANCE, perHour: 5, perRangePerHour: 2, rangeDigits: 4 };
  const reason = (p: Promise<unknown>) => p.then(() => 'sent', (e) => (e instanceof SmsWithheld ? e.reason : `error: ${(e as Error).message}`));

  it('refuses other countries, stops a range at its cap and the chain at its budget, once telling each', async () => {
    const { sent, provider } = sink();
    const told: SmsLimitReached[] = [];
    const guarded = new GuardedSmsProvider(provider, policy, { keyPrefix: `unit-${Date.now()}`, onLimitReached: (e) => void told.push(e) });
    expect(guarded.accepts('+881631234567')).toBe(false);
    expect(await reason(guarded.send({ to: '+881631234567', text: 'x' }))).toBe('country');
    const one = ['+33612340001', '+33612340002', '+33612340003', '+33612340004'];
    expect(await Promise.all(one.map((to) => reason(guarded.send({ to, text: 'x' }))))).toEqual(['sent', 'sent', 'range', 'range']);
    const others = ['+33700000001', '+33710000001', '+262692000001', '+590690000001'];
    expect(await Promise.all(others.map((to) => reason(guarded.send({ to, text: 'x' }))))).toEqual(['sent', 'sent', 'sent', 'budget']);
    expect(await reason(guarded.send({ to: '+596696000001', text: 'x' }))).toBe('budget');
    expect(sent).toHaveLength(5);
    expect(told.map((t) => `${t.limit} ${t.key} ${t.max}`)).toEqual(['range +336123 2', 'budget chain 5']);
  });

  it('gives its counts back when the gateway did not take the text', async () => {
    const { sent, provider, fail } = sink();
    const guarded = new GuardedSmsProvider(provider, { ...policy, perHour: 1 }, { keyPrefix: `unit-back-${Date.now()}` });
    fail(true);
    expect(await reason(guarded.send({ to: '+33612345678', text: 'x' }))).toBe('error: gateway down');
    fail(false);
    expect(await reason(guarded.send({ to: '+33612345678', text: 'x' }))).toBe('sent');
    expect(sent).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { ageLevel, type AgeLevel, formatAge, stepSeconds, ticketLevel, waitingSeconds } from './timing.ts';

const T0 = Date.parse('2026-11-22T12:00:00Z');
const iso = (secondsAfterT0: number) => new Date(T0 + secondsAfterT0 * 1000).toISOString();
const min = (m: number) => T0 + m * 60_000;

describe('ticket age on the kitchen screen', () => {
  it('turns amber at 60 % of the target and red at the target, and never goes back to green', () => {
    const levels: AgeLevel[] = [];
    for (let s = 0; s <= 3600; s += 30) levels.push(ageLevel(s, 900));
    const order = { fresh: 0, ageing: 1, late: 2 } as const;
    for (let i = 1; i < levels.length; i++) expect(order[levels[i]]).toBeGreaterThanOrEqual(order[levels[i - 1]]);
    expect(ageLevel(539, 900)).toBe('fresh');
    expect(ageLevel(540, 900)).toBe('ageing');
    expect(ageLevel(900, 900)).toBe('late');
    expect(ageLevel(15 * 60 + 1, 900)).toBe('late');
  });

  it('a received ticket untouched for 15 minutes is red, not fresh', () => {
    const ticket = { timestamps: { created: iso(0), received: iso(0) } };
    expect(ticketLevel(ticket, min(3), 900)).toBe('fresh');
    expect(ticketLevel(ticket, min(7.5), 900)).toBe('fresh');
    expect(ticketLevel(ticket, min(9), 900)).toBe('ageing');
    expect(ticketLevel(ticket, min(15), 900)).toBe('late');
    expect(ticketLevel(ticket, min(40), 900)).toBe('late');
  });

  it('ages every column from the moment the order was received, ready tickets included', () => {
    const started = { timestamps: { received: iso(0), preparing: iso(600) } };
    // in the oven for one minute, but the customer has waited 11
    expect(stepSeconds(started, 'preparing', min(11))).toBe(60);
    expect(waitingSeconds(started, min(11))).toBe(660);
    expect(ticketLevel(started, min(11), 900)).toBe('ageing');
    const ready = { timestamps: { received: iso(0), preparing: iso(60), ready: iso(300) } };
    expect(ticketLevel(ready, min(6), 900)).toBe('fresh');
    expect(ticketLevel(ready, min(16), 900)).toBe('late');
  });

  it('counts from creation when the order never had a received time, and keeps a flagged ticket red', () => {
    expect(waitingSeconds({ timestamps: { created: iso(0) } }, min(2))).toBe(120);
    expect(waitingSeconds({ timestamps: {} }, min(2))).toBe(0);
    expect(waitingSeconds({ timestamps: { received: iso(10) } }, T0)).toBe(0);
    expect(ticketLevel({ timestamps: { received: iso(0) }, late: true }, min(1), 900)).toBe('late');
  });

  it('a shop without a target never colours its tickets', () => {
    expect(ageLevel(10_000, 0)).toBe('fresh');
  });

  it('formats the wait as minutes and seconds, with hours past an hour', () => {
    expect(formatAge(0)).toBe('0:00');
    expect(formatAge(125.9)).toBe('2:05');
    expect(formatAge(59 * 60 + 59)).toBe('59:59');
    expect(formatAge(3600 + 62)).toBe('1:01:02');
    expect(formatAge(-5)).toBe('0:00');
  });
});

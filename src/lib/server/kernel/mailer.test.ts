import { describe, expect, it } from 'vitest';
import { createMailer, messageIdOf } from './mailer.ts';

function recordingLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  };
}

const reset = { to: 'manager@ocpizza.example', subject: 'OC Pizza : nouveau mot de passe', text: 'https://pizza.example/account/password?token=SECRET-TOKEN' };

describe('a mailer without SMTP', () => {
  it('writes the message to the log on a development machine, so a link can be followed from there', async () => {
    const log = recordingLog();
    await createMailer({ from: 'x', log: log as never }).send(reset);
    expect(JSON.stringify(log.lines)).toContain('SECRET-TOKEN');
  });

  it('in production says who and what was not sent, never the text: a password link in the logs would open the account', async () => {
    const log = recordingLog();
    await createMailer({ from: 'x', log: log as never, production: true }).send(reset);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', obj: { to: reset.to, subject: reset.subject } });
    expect(JSON.stringify(log.lines)).not.toContain('SECRET-TOKEN');
  });
});

describe("a message's Message-ID", () => {
  it("is its name at the sender's domain, the same each time, whatever form the sender is written in", () => {
    const key = 'order-0b6e7c1a-5f2d-4c8e-9a61-3d2f1e0c9b87-refunded-1250';
    expect(messageIdOf(key, 'OC Pizza <no-reply@ocpizza.example>')).toBe(`<${key}@ocpizza.example>`);
    expect(messageIdOf(key, 'no-reply@ocpizza.example')).toBe(`<${key}@ocpizza.example>`);
    expect(messageIdOf(key, 'OC Pizza <no-reply@ocpizza.example>')).toBe(messageIdOf(key, 'OC Pizza <no-reply@ocpizza.example>'));
    // nothing in a name can break the header: only letters, digits, dots, dashes and underscores stay
    expect(messageIdOf('order 1>@x\r\nBcc: a@b', 'x@ocpizza.example')).toBe('<order-1--x--Bcc--a-b@ocpizza.example>');
  });
});

import { describe, expect, it } from 'vitest';
import { createMailer } from './mailer.ts';

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

// Email to staff (and, later, customers) through SMTP with nodemailer. Without SMTP_URL (a
// development machine, a demo) nothing leaves the machine: the message is written to the log, so
// an invitation link can still be followed from there (in production only who and what, never the text).
import type nodemailer from 'nodemailer';
import { whenNeeded } from './when-needed.ts';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /**
   * The message's own name, the same each time it is sent: its Message-ID is made of it (and the
   * sender's domain). A message sent again because the process that sent it died before it could
   * note it as sent (the mail server had it, the note was lost) carries the same Message-ID, and
   * the customer's mailbox keeps it once. Without it, the mail server's own, new each time.
   */
  key?: string;
}

/** The Message-ID of a message named `key`, sent from `from` ("Name <address>" or an address). */
export function messageIdOf(key: string, from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.includes('@') ? address.slice(address.lastIndexOf('@') + 1).trim() : 'ocpizza.invalid';
  return `<${key.replace(/[^A-Za-z0-9._-]/g, '-')}@${domain}>`;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** nodemailer, loaded when a process has an SMTP server to send through (kernel/when-needed.ts). */
const smtp = whenNeeded<typeof nodemailer>('nodemailer');

export function createMailer(opts: { smtpUrl?: string; from: string; log: Pick<Logger, 'info' | 'warn'>; production?: boolean }): Mailer {
  if (!opts.smtpUrl) {
    return {
      async send(mail) {
        // in production the logs are read by more people than the mailbox: a password link there would open the account
        if (opts.production) opts.log.warn({ to: mail.to, subject: mail.subject }, 'email not sent: SMTP_URL is not set');
        else opts.log.info({ to: mail.to, subject: mail.subject, text: mail.text }, 'email not sent (no SMTP_URL): here it is');
      },
      close() {},
    };
  }
  const transport = smtp().createTransport(opts.smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({
        from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html,
        ...(mail.key ? { messageId: messageIdOf(mail.key, opts.from) } : {}),
      });
    },
    close() {
      transport.close();
    },
  };
}

let shared: Mailer | undefined;
/** The process's mailer for the pages (the API gets its own from the app), from the environment. */
export async function pageMailer(): Promise<Mailer> {
  if (!shared) {
    const { config } = await import('./config.ts');
    const { default: pino } = await import('pino');
    const c = config();
    shared = createMailer({ smtpUrl: c.SMTP_URL, from: c.MAIL_FROM, log: pino({ level: c.LOG_LEVEL }), production: c.NODE_ENV === 'production' });
  }
  return shared;
}

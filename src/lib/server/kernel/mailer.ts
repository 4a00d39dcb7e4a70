// Email to staff (and, later, customers) through SMTP with nodemailer. Without SMTP_URL (a
// development machine, a demo) nothing leaves the machine: the message is written to the log, so
// an invitation link can still be followed from there (in production only who and what, never the text).
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

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
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
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

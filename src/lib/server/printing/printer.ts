// A network thermal printer: a TCP socket to its port (9100, the "raw" port every such printer
// opens), its paper asked about first, then the document. A printer that is off, unplugged or out
// of paper is an error with a reason a cook understands; nothing waits on it longer than the timeout.
import { connect } from 'node:net';
import { PAPER_STATUS_QUERY, paperOut } from './escpos.ts';

export class PrinterError extends Error {
  constructor(
    readonly code: 'unreachable' | 'no_answer' | 'paper_out',
    message: string,
  ) {
    super(message);
  }
}

/** How long a printer may take to answer its paper status before it is printed to anyway (some models never answer). */
const STATUS_WAIT_MS = 800;

export function sendToPrinter(host: string, port: number, doc: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new PrinterError('no_answer', `the printer at ${host}:${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(new PrinterError('unreachable', `the printer at ${host}:${port} cannot be reached (${err.code ?? err.message}): is it on and plugged in?`)),
    );
    socket.once('connect', () => {
      let printed = false;
      const print = () => {
        if (printed || settled) return;
        printed = true;
        socket.end(doc, () => done());
      };
      const wait = setTimeout(print, STATUS_WAIT_MS);
      socket.once('data', (status: Buffer) => {
        clearTimeout(wait);
        if (paperOut(status[0])) done(new PrinterError('paper_out', `the printer at ${host}:${port} is out of paper`));
        else print();
      });
      socket.write(PAPER_STATUS_QUERY);
    });
  });
}

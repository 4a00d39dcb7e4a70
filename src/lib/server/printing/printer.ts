// A network thermal printer: a TCP socket to its port (9100, the "raw" port every such printer
// opens), its paper asked about first, then the document. A printer that is off, unplugged or out
// of paper is an error with a reason a cook understands; nothing waits on it longer than the timeout.
// An address the printing policy refuses (address.ts) is never connected to, so its error says the
// same whatever listens there.
import { connect } from 'node:net';
import { UNKNOWN_NAME, checkPrinter, printerPolicy, type PrinterPolicy, type Resolver } from './address.ts';
import { PAPER_STATUS_QUERY, paperOut } from './escpos.ts';

export class PrinterError extends Error {
  constructor(
    readonly code: 'unreachable' | 'no_answer' | 'paper_out' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

/** How long a printer may take to answer its paper status before it is printed to anyway (some models never answer). */
const STATUS_WAIT_MS = 800;

const STRICT = printerPolicy();

export async function sendToPrinter(
  host: string,
  port: number,
  doc: Buffer,
  timeoutMs: number,
  opts: { policy?: PrinterPolicy; resolve?: Resolver } = {},
): Promise<void> {
  // checked again here, not only when the manager set it: a row may predate the rule or be written
  // by hand, and a name may resolve elsewhere by now
  const checked = await checkPrinter(host, port, opts.policy ?? STRICT, { resolve: opts.resolve, timeoutMs });
  if (!checked.ok) {
    if (checked.refusal.host === UNKNOWN_NAME && !checked.refusal.port) {
      throw new PrinterError('unreachable', `the printer at ${host}:${port} cannot be reached (its name is not found): is its address right?`);
    }
    throw new PrinterError('refused', `the printer address ${host}:${port} is not allowed (a printer port of the shop's own network only): set it again on the shop's page`);
  }
  return send(checked.addresses[0], host, port, doc, timeoutMs);
}

/** The document to the address that was checked; `host` only names it in errors. */
function send(address: string, host: string, port: number, doc: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
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

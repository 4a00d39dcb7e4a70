// A network thermal printer in the test process: it answers the paper status query as an ESC/POS
// printer does, and reads back what it is sent (its lines of text, the QR code's data, the cut).
// It listens on a loopback address of its own (127.x.y.z, all of 127/8 is this machine) so that each
// one can take the raw printing port, 9100, as a real printer does: the workers reach only printer
// ports, and loopback only with PRINTER_ALLOW_LOOPBACK (tests and development).
import { createServer, type Server, type Socket } from 'node:net';

/** A document as the printer received it: its lines of text, the QR code's data, whether it was cut. */
export interface Printed {
  lines: string[];
  qr: string | null;
  cut: boolean;
}

export function readEscPos(bytes: Buffer): Printed {
  const lines: string[] = [];
  let line = '';
  let qr: string | null = null;
  let cut = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x10 && bytes[i + 1] === 0x04) {
      i += 2; // DLE EOT n: a status query
    } else if (b === 0x1b) {
      i += bytes[i + 1] === 0x40 ? 1 : 2; // ESC @ / ESC a n, ESC E n
    } else if (b === 0x1d && bytes[i + 1] === 0x28 && bytes[i + 2] === 0x6b) {
      const len = bytes[i + 3] + (bytes[i + 4] << 8);
      // GS ( k … 31 50 30 <data>: the QR code's data stored
      if (bytes[i + 5] === 0x31 && bytes[i + 6] === 0x50) qr = bytes.subarray(i + 8, i + 5 + len).toString('latin1');
      i += 4 + len;
    } else if (b === 0x1d && bytes[i + 1] === 0x56) {
      cut = true;
      i += 3;
    } else if (b === 0x1d) {
      i += 2; // GS ! n
    } else if (b === 0x0a) {
      lines.push(line);
      line = '';
    } else line += String.fromCharCode(b);
  }
  return { lines, qr, cut };
}

/** A loopback address nobody else is likely to use: 127.1.0.1 to 127.254.255.254. */
const ownLoopback = () => `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

/** A printer on the network: answers its paper status (0x12 fine, 0x72 out of paper) and keeps what it prints. */
export class FakePrinter {
  printed: Printed[] = [];
  paper = true;
  /** Every connection it was opened, printed or not. */
  connections = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port = 9100,
    readonly host = ownLoopback(),
  ) {}

  async start() {
    this.server = createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      const chunks: Buffer[] = [];
      socket.on('data', (d) => {
        if (d[0] === 0x10 && d[1] === 0x04 && d[2] === 0x04) socket.write(Buffer.from([this.paper ? 0x12 : 0x72]));
        chunks.push(d);
      });
      socket.on('end', () => {
        const doc = readEscPos(Buffer.concat(chunks));
        if (doc.lines.length) this.printed.push(doc);
        socket.end();
      });
      socket.on('close', () => this.sockets.delete(socket));
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
  /** The documents for one order, by its number. */
  of(number: number) {
    return this.printed.filter((d) => d.lines.includes(`Commande ${number}`));
  }
}

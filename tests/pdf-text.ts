// The text a PDF shows, for tests that read a generated PDF: its content streams inflated, the
// strings of each TJ array joined (pdfkit writes them as hex strings).
import { inflateSync } from 'node:zlib';

export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const out: string[] = [];
  // each stream taken by its dictionary's /Length (pdfkit writes it as a number): a compressed
  // stream whose last byte is a carriage return (one in 256) lost that byte when the stream was
  // taken up to `\r?\nendstream`, and its text with it
  for (const m of raw.matchAll(/\/Length (\d+)\b[^]*?stream\r?\n/g)) {
    let body: string;
    try {
      body = inflateSync(Buffer.from(raw.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1])), 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const tj of body.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      out.push([...tj[1].matchAll(/<([0-9a-fA-F]+)>/g)].map((h) => Buffer.from(h[1], 'hex').toString('latin1')).join(''));
    }
  }
  return out.join('\n');
}

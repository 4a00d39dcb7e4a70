// What a thermal printer is sent: ESC/POS, the command set every receipt printer speaks (Epson's,
// followed by Star, Bixolon, Xprinter…), as bytes. Pure: the label and the whole ticket of an
// order, and the status query a printer answers before it prints.
//
// Text is sent as plain ASCII (accents taken off, "€" as "EUR"): a printer's code pages differ from
// one model to the next, and "Creme fraiche" reads on every one of them, where a wrong code page
// prints garbage ("n°" prints "no"). The QR code is the printer's own (GS ( k, model 2), so no image
// is rendered here.
import type { OrderView } from '../../shapes/views.ts';
import { siretText, ticketNumber } from '../../domain/receipt-mentions.ts';
import { DELIVERY_FEE_VAT_RATE } from '../../domain/vat.ts';
import { allergensWithKinds } from '../../domain/allergen-kinds.ts';
import type { Receipt } from '../money/receipts.ts';
import fr from '../../i18n/fr.json' with { type: 'json' };
import { firstName } from '../../realtime/audiences.ts';

const ESC = 0x1b;
const GS = 0x1d;
const LF = 0x0a;

/** Characters on a line of a 58 mm roll in the printer's standard font (an 80 mm roll takes 48). */
export const LINE_WIDTH = 32;

/** "Crème fraîche à 2 €" → "Creme fraiche a 2 EUR": what any printer prints the same. */
export function plain(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/€/g, 'EUR')
    .replace(/[«»“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/[–—]/g, '-')
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'OE')
    .replace(/°/g, 'o')
    .replace(/×/g, 'x')
    .replace(/−/g, '-')
    .replace(/[^\x20-\x7e]/g, '?');
}

/** Words wrapped to the line, each line starting with `indent`. */
export function wrap(text: string, width = LINE_WIDTH, indent = ''): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of plain(text).split(/\s+/).filter(Boolean)) {
    if (line.trim() && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.trim() ? ' ' : '') + word;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

/** A document as the printer reads it, built from a few commands. */
export class EscPos {
  private readonly bytes: number[] = [ESC, 0x40]; // ESC @: start from the printer's defaults

  private raw(...b: number[]) {
    this.bytes.push(...b);
    return this;
  }
  /** 0 left, 1 centred. */
  align(n: 0 | 1) {
    return this.raw(ESC, 0x61, n);
  }
  bold(on: boolean) {
    return this.raw(ESC, 0x45, on ? 1 : 0);
  }
  /** Characters twice as wide and high (the order number, read across the pass). */
  big(on: boolean) {
    return this.raw(GS, 0x21, on ? 0x11 : 0x00);
  }
  line(text = '') {
    for (const ch of plain(text)) this.bytes.push(ch.charCodeAt(0));
    return this.raw(LF);
  }
  rule() {
    return this.line('-'.repeat(LINE_WIDTH));
  }
  /** The printer draws the QR code itself (GS ( k: model 2, module size 6, correction M). */
  qr(data: string) {
    const payload = [...plain(data)].map((c) => c.charCodeAt(0));
    const len = payload.length + 3;
    return this.raw(GS, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00)
      .raw(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06)
      .raw(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31)
      .raw(GS, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, 0x50, 0x30, ...payload)
      .raw(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30);
  }
  /** Feeds the paper out and cuts it (partially: the label stays on the roll until torn). */
  cut() {
    return this.raw(GS, 0x56, 0x42, 0x00);
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** DLE EOT 4: the printer answers one byte about its paper roll. */
export const PAPER_STATUS_QUERY = Buffer.from([0x10, 0x04, 0x04]);
/** In that byte, bits 5 and 6: the paper has run out. */
export const paperOut = (status: number) => (status & 0x60) === 0x60;

const clock = (iso: string | null) =>
  iso ? new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' }).format(new Date(iso)) : null;

/** An option as the cook and the packer must see it: "Grande (40 cm)", "+ Mozzarella", "SANS BASILIC". */
const optionText = (o: OrderView['items'][number]['options'][number]) => (o.kind === 'extra' ? `+ ${o.name}` : o.kind === 'without' ? o.name.toUpperCase() : o.name);

/** "ALLERGENES: GLUTEN (BLE), LAIT, FRUITS A COQUE (NOIX)": a line's allergens in capitals, as the fridge sheet names them, each cereal and nut named. */
export const allergenText = (list: readonly string[], kinds: readonly string[] = []) =>
  `ALLERGENES: ${allergensWithKinds(list, kinds).map((a) => {
    const group = (fr.allergens as Record<string, string>)[a.allergen] ?? a.allergen;
    return a.kinds.length ? `${group} (${a.kinds.map((k) => (fr.allergenKinds as Record<string, string>)[k] ?? k).join(', ')})` : group;
  }).join(', ').toUpperCase()}`;

/** The order's allergy note, framed and in bold above the lines: the one thing the cook and the packer must not miss. */
function allergyNote(doc: EscPos, o: OrderView) {
  if (!o.allergy) return;
  doc.rule().bold(true).big(true).line('! ALLERGIE !').big(false);
  if (o.allergy.allergens.length) for (const l of wrap(allergenText(o.allergy.allergens))) doc.line(l);
  if (o.allergy.note) for (const l of wrap(`"${o.allergy.note}"`)) doc.line(l);
  doc.bold(false);
}

/** Each line in bold, each of its options on a line of its own beneath it, then its allergens. */
function items(doc: EscPos, o: OrderView) {
  for (const i of o.items) {
    // a half-and-half: the pizza, then its halves each on a line of its own, left first (a printer knows no "½")
    for (const l of wrap(`${i.quantity}x ${i.halves ? 'MOITIE-MOITIE' : i.name}`)) doc.bold(true).line(l).bold(false);
    if (i.halves) {
      for (const [side, h] of [['GAUCHE', i.halves.left], ['DROITE', i.halves.right]] as const) {
        for (const l of wrap(`${side} 1/2: ${h.name}`, LINE_WIDTH, '   ')) doc.bold(true).line(l).bold(false);
      }
    }
    for (const opt of i.options) for (const l of wrap(optionText(opt), LINE_WIDTH, '   ')) doc.line(l);
    if (i.allergens?.length) for (const l of wrap(allergenText(i.allergens, i.allergenKinds), LINE_WIDTH, '   ')) doc.line(l);
  }
}

/**
 * The label on an order's box: its number large, the customer's first name, pickup or delivery
 * (and when it was promised), what is in it, what the shop says of cross-contact (its own words, or
 * the chain's: "Peut contenir des traces…"), and a QR code of the tracking link.
 */
export function orderLabel(o: OrderView, trackingUrl: string, crossContact?: string | null): Buffer {
  const doc = new EscPos().align(1).big(true).line(`Commande ${o.number}`).big(false).bold(true).line(firstName(o.customer.name)).bold(false);
  const promised = clock(o.promisedAt);
  doc.line(`${o.fulfilment === 'delivery' ? 'LIVRAISON' : 'A EMPORTER'}${promised ? ` - pour ${promised}` : ''}`);
  if (o.urgent) doc.bold(true).line('*** URGENT ***').bold(false);
  allergyNote(doc, o);
  doc.align(0).rule();
  items(doc, o);
  doc.rule();
  for (const l of wrap(crossContact || fr.allergyNote.crossContact)) doc.line(l);
  doc.rule().align(1).qr(trackingUrl).line('Suivre la commande :');
  for (const l of wrap(trackingUrl)) doc.line(l);
  return doc.line().cut().toBuffer();
}

/** The whole ticket, as the kitchen screen shows it: the paper to work from when a screen dies. */
export function orderTicket(o: OrderView): Buffer {
  const doc = new EscPos().align(1).bold(true).line('TICKET CUISINE').bold(false).big(true).line(`Commande ${o.number}`).big(false);
  const promised = clock(o.promisedAt);
  doc.line(`${firstName(o.customer.name)} - ${o.fulfilment === 'delivery' ? 'livraison' : 'a emporter'}`);
  if (promised) doc.line(`pour ${promised}`);
  if (o.urgent) doc.bold(true).line('*** URGENT ***').bold(false);
  allergyNote(doc, o);
  doc.align(0).rule();
  items(doc, o);
  return doc.rule().line(`Imprime ${clock(new Date().toISOString())}`).line().cut().toBuffer();
}

const dateTime = (iso: string) =>
  new Intl.DateTimeFormat('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' }).format(new Date(iso));

/** 2150 → "21,50" (the ticket says once that amounts are in euros). */
const euros = (cents: number) => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)},${String(Math.abs(cents) % 100).padStart(2, '0')}`;
const rateText = (rate: number) => `${String(rate).replace('.', ',')}%`;

/** A line with its text on the left and an amount on the right; a long text wraps above the amount. */
function amountLine(doc: EscPos, left: string, right: string) {
  const lines = wrap(left);
  const last = lines.pop() ?? '';
  for (const l of lines) doc.line(l);
  const room = LINE_WIDTH - right.length - 1;
  if (plain(last).length > room) doc.line(last).line(right.padStart(LINE_WIDTH));
  else doc.line(`${plain(last).padEnd(room)} ${right}`);
}

/** Columns of fixed widths, the first left-aligned, the others right-aligned. */
const columns = (cells: string[], widths: number[]) => cells.map((c, n) => (n === 0 ? plain(c).padEnd(widths[n]) : plain(c).padStart(widths[n]))).join('');

/** The allergies the customer declared, in bold under the order's number: informative, not a sale line. */
function receiptAllergy(doc: EscPos, r: Receipt) {
  if (!r.allergy) return;
  const list = r.allergy.allergens.map((a) => (fr.allergens as Record<string, string>)[a] ?? a).join(', ');
  doc.bold(true);
  for (const l of wrap(`Allergies declarees : ${[list, r.allergy.note].filter(Boolean).join(' - ')}`)) doc.line(l);
  doc.bold(false);
}

/**
 * The customer's till receipt on the shop's printer: the seller's legal mentions, the ticket's number
 * in the shop's journal with its date and time, the lines with their VAT rate, the totals excluding
 * VAT, VAT and including VAT per rate, how it was paid, the software and its version, and 4
 * characters of the sale's signature; a copy after the first says "DUPLICATA n° k" in large letters.
 * A training shop's ticket says FACTICE in large letters, top and bottom, with no number nor signature.
 */
export function receiptTicket(r: Receipt & ({ stamp: NonNullable<Receipt['stamp']> } | { training: true })): Buffer {
  const st = r.stamp;
  const doc = new EscPos().align(1).bold(true).line(r.shop.name).bold(false);
  for (const l of wrap(r.shop.address)) doc.line(l);
  if (r.shop.phone) doc.line(`Tel. ${r.shop.phone}`);
  if (r.shop.legalName) for (const l of wrap(r.shop.legalName)) doc.line(l);
  if (r.shop.siret) doc.line(`SIRET ${siretText(r.shop.siret)}`);
  if (r.shop.vatNumber) doc.line(`TVA intracom. ${r.shop.vatNumber}`);
  if (!st) doc.line().big(true).bold(true).line('*** FACTICE ***').bold(false).big(false).line('Ticket de formation, sans valeur');
  else if (st.copy > 0) {
    doc.line().big(true).bold(true).line(`DUPLICATA n° ${st.copy}`).bold(false).big(false).line(`Reimpression du ${dateTime(st.issuedAt)}`);
  }
  if (st) doc.align(0).rule().bold(true).line(`Ticket n° ${ticketNumber(st.ticket)}`).bold(false).line(dateTime(st.soldAt));
  else doc.align(0).rule().bold(true).line('FACTICE').bold(false).line(dateTime(r.paidAt));
  doc.line(`Commande n° ${r.number} - ${r.fulfilment === 'delivery' ? 'livraison' : 'a emporter'}`);
  if (r.cancelled) doc.bold(true).line('*** COMMANDE ANNULEE ***').bold(false);
  receiptAllergy(doc, r);
  doc.rule();
  amountLine(doc, '', `${'TVA'.padStart(5)} ${'EUR'.padStart(8)}`);
  for (const l of r.lines) {
    amountLine(doc, `${l.quantity}x ${l.name}`, `${rateText(l.vatRate).padStart(5)} ${euros(l.totalCents).padStart(8)}`);
    if (l.options) for (const o of wrap(l.options, LINE_WIDTH, '   ')) doc.line(o);
  }
  if (r.deliveryFeeCents) amountLine(doc, 'Livraison', `${rateText(DELIVERY_FEE_VAT_RATE).padStart(5)} ${euros(r.deliveryFeeCents).padStart(8)}`);
  if (r.promo) amountLine(doc, `Code ${r.promo.code}`, euros(-r.promo.discountCents));
  if (r.loyalty) amountLine(doc, `Fidelite ${r.loyalty.points} points`, euros(-r.loyalty.discountCents));
  doc.rule().bold(true);
  amountLine(doc, 'TOTAL TTC EUR', euros(r.totalCents));
  doc.bold(false).rule();
  if (r.vat.length) {
    const w = [5, 9, 9, 9];
    doc.line(columns(['TVA', 'HT', 'TVA', 'TTC'], w));
    for (const v of r.vat) doc.line(columns([rateText(v.rate), euros(v.netCents), euros(v.vatCents), euros(v.grossCents)], w));
    const sum = (k: 'netCents' | 'vatCents' | 'grossCents') => r.vat.reduce((a, v) => a + v[k], 0);
    doc.line(columns(['Total', euros(sum('netCents')), euros(sum('vatCents')), euros(sum('grossCents'))], w)).rule();
  }
  const ways: Record<string, string> = {
    online: 'Carte (en ligne)', cash: 'Especes (livraison)', card: 'Carte (livraison)', counter_cash: 'Especes', counter_card: 'Carte', counter_terminal: 'Carte (TPE)', door_qr: 'Carte par QR (livraison)', phone: 'Paye par telephone', counter: 'Paye au comptoir',
    voucher_bimpli: 'Titre-restaurant Bimpli', voucher_pluxee: 'Titre-restaurant Pluxee', voucher_up_dejeuner: 'Titre-restaurant Up Dejeuner', voucher_swile: 'Titre-restaurant Swile', voucher_edenred: 'Titre-restaurant Edenred',
  };
  for (const p of r.payments) amountLine(doc, ways[p.method] ?? p.method, euros(p.amountCents));
  for (const f of r.refunds) amountLine(doc, `Rembourse ${dateTime(f.at)}`, euros(-f.amountCents));
  const other = r.refundedCents - r.refunds.reduce((a, f) => a + f.amountCents, 0);
  if (other > 0) amountLine(doc, 'Rembourse', euros(-other));
  if (r.refundedCents) amountLine(doc, 'Net paye', euros(r.netPaidCents));
  doc.rule().align(1);
  if (st) doc.line(`Signature ${st.shortSignature}`);
  else doc.big(true).bold(true).line('*** FACTICE ***').bold(false).big(false);
  if (r.software) doc.line(`Logiciel ${r.software.name} ${r.software.version}`);
  return doc.line('Merci et bon appetit !').line().cut().toBuffer();
}

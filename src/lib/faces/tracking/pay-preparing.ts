// The payment page looks again, a second apart, while a payment it shows is still being made by the
// workers: the card's, a moment after the order, and a titre-restaurant's part's, a moment after it is
// chosen. The two are made by one job, the card's first: a page that stopped once the card's was
// there kept the voucher's part on "preparing" for good.

/** What the payment page knows of its payments (its data). */
export interface PayingPage {
  /** The card's payment is there (the page can take the card). */
  ready: boolean;
  voucher: { part: { intentId: string | null; state: 'waiting' | 'held' } | null } | null;
}

/** Whether the page must look again: a payment it shows is not made yet. */
export function paymentsPreparing(page: PayingPage): boolean {
  const part = page.voucher?.part;
  return !page.ready || (!!part && part.state !== 'held' && !part.intentId);
}

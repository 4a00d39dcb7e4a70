import type { SessionUser } from '$lib/server/staff/auth.ts';
import type { Locale } from '$lib/i18n/core.ts';
import type { SignedInCustomer } from '$lib/server/customers/account.ts';

declare global {
  namespace App {
    interface Locals {
      user: SessionUser | null;
      /** The signed-in customer (their own cookie), if any. */
      customer: SignedInCustomer | null;
      locale: Locale;
    }
    interface Error {
      message: string;
      errorId?: string;
    }
  }
}

export {};

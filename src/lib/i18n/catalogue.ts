// Every file of messages, by locale: the words several faces (and the server's mails, texts and
// receipts) share, here (./fr.json, ./en.json), and each face's own namespaces beside its code
// (src/lib/faces/<face>/texts/fr.json and en.json), so a face's words are edited with the face.
// A namespace (a top-level key: `kitchen`, `track`…) is written in one file only; messages.test.ts
// checks that, that both languages hold the same keys, and that every face's file is listed here.
// The browser loads the same files by their URLs (./browser.ts).
import fr from './fr.json' with { type: 'json' };
import en from './en.json' with { type: 'json' };
import accountFr from '../faces/account/texts/fr.json' with { type: 'json' };
import accountEn from '../faces/account/texts/en.json' with { type: 'json' };
import counterFr from '../faces/counter/texts/fr.json' with { type: 'json' };
import counterEn from '../faces/counter/texts/en.json' with { type: 'json' };
import driverFr from '../faces/driver/texts/fr.json' with { type: 'json' };
import driverEn from '../faces/driver/texts/en.json' with { type: 'json' };
import kitchenFr from '../faces/kitchen/texts/fr.json' with { type: 'json' };
import kitchenEn from '../faces/kitchen/texts/en.json' with { type: 'json' };
import managerFr from '../faces/manager/texts/fr.json' with { type: 'json' };
import managerEn from '../faces/manager/texts/en.json' with { type: 'json' };
import storefrontFr from '../faces/storefront/texts/fr.json' with { type: 'json' };
import storefrontEn from '../faces/storefront/texts/en.json' with { type: 'json' };
import trackingFr from '../faces/tracking/texts/fr.json' with { type: 'json' };
import trackingEn from '../faces/tracking/texts/en.json' with { type: 'json' };
import type { Locale, Messages } from './core.ts';

/** The files of messages of each locale, by where they live: `shared` here, else the face's name. */
export const MESSAGE_FILES: Record<Locale, Record<string, Messages>> = {
  fr: { shared: fr, account: accountFr, counter: counterFr, driver: driverFr, kitchen: kitchenFr, manager: managerFr, storefront: storefrontFr, tracking: trackingFr },
  en: { shared: en, account: accountEn, counter: counterEn, driver: driverEn, kitchen: kitchenEn, manager: managerEn, storefront: storefrontEn, tracking: trackingEn },
};

/** All the messages of a locale, its files' namespaces side by side. */
export const messagesOf = (locale: Locale): Messages => Object.assign({}, ...Object.values(MESSAGE_FILES[locale]));

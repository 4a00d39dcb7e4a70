// The delivery platforms the system knows, each a file beside this one implementing
// MarketplaceProvider (provider.ts). A new platform is a file and a line here; nothing else names it.
import type { Config } from '../kernel/config.ts';
import type { MarketplaceProvider } from './provider.ts';
import { uberEatsFor } from './uber-eats.ts';
import { deliverooFor } from './deliveroo.ts';
import { justEatFor } from './just-eat.ts';

type Factory = (config: Config) => MarketplaceProvider;

const FACTORIES: Factory[] = [
  uberEatsFor,
  deliverooFor,
  justEatFor,
];

/** Every platform, configured or not (a page lists them all; only a configured one takes orders). */
export function marketplacesFor(config: Config): MarketplaceProvider[] {
  return FACTORIES.map((make) => make(config));
}

/** The platform of this id, or null (an unknown id in a webhook's path is refused with 404). */
export function marketplaceById(providers: MarketplaceProvider[], id: string): MarketplaceProvider | null {
  return providers.find((p) => p.id === id) ?? null;
}

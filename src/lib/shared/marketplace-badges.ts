// How a delivery platform's order is told apart on every screen: its platform's name, a short mark
// and its colours, keyed by the provider's id (src/lib/server/marketplaces/registry.ts). A platform
// the screens do not know yet shows its id, in neutral colours, rather than nothing.

export interface MarketplaceBadgeLook {
  /** The platform's name, as the shop says it ("Uber Eats"). */
  label: string;
  /** Its mark on a ticket ("UE"), before the order's code there. */
  short: string;
  /** Background and text of the badge; `accent`: the mark's own colour. */
  background: string;
  color: string;
  accent: string;
}

const KNOWN: Record<string, MarketplaceBadgeLook> = {
  // black and green, white text: 21:1 and the green mark 9:1 on black
  uber_eats: { label: 'Uber Eats', short: 'UE', background: '#000000', color: '#ffffff', accent: '#06c167' },
  // Deliveroo's teal with a near-black text: white on that teal would read at 2:1 from across a kitchen
  deliveroo: { label: 'Deliveroo', short: 'DR', background: '#00ccbc', color: '#00201e', accent: '#00201e' },
  // Just Eat's orange with a near-black text, as Deliveroo's teal
  just_eat: { label: 'Just Eat', short: 'JE', background: '#ff8000', color: '#1f1000', accent: '#1f1000' },
};

const UNKNOWN = { background: '#e4ddd4', color: '#1e1a16', accent: '#1e1a16' };

/** The look of a platform by its provider id (an unknown one shows its id). */
export function badgeOf(id: string): MarketplaceBadgeLook {
  return KNOWN[id] ?? { label: id, short: id, ...UNKNOWN };
}

/** The platform's name ("Uber Eats"; an unknown platform: its id). */
export const platformName = (id: string): string => badgeOf(id).label;

/** What the badge reads: "UE · A1B2C" (`long`: "Uber Eats · A1B2C"), the mark alone without a code. */
export function badgeText(m: { id: string; code: string | null }, long = false): string {
  const look = badgeOf(m.id);
  const name = long ? look.label : look.short;
  const code = m.code?.trim();
  return code ? `${name} · ${code}` : name;
}

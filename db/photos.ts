import type { ProductKind } from '../src/lib/domain/product-kinds.ts';
// The demo menu's photos, drawn here (no download): a pizza seen from above with the toppings of
// its recipe, a can or a bottle for a drink, a dish for a dessert. SVG, made into WebP by the media
// code like any uploaded photo.

/** A small deterministic generator, so a product always gets the same drawing. */
function random(seed: string) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return () => {
    h = Math.imul(h ^ (h >>> 15), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return ((h ^= h >>> 16) >>> 0) / 4294967296;
  };
}

/** What each topping looks like: colour, size, and how many pieces. */
const TOPPINGS: Record<string, { fill: string; r: number; n: number; shape?: 'leaf' | 'strip' | 'ring' }> = {
  jambon: { fill: '#e8a0a0', r: 26, n: 7 },
  'jambon-parme': { fill: '#c9605f', r: 30, n: 6 },
  champignons: { fill: '#d9c6a5', r: 16, n: 10 },
  chorizo: { fill: '#b8321f', r: 15, n: 12 },
  merguez: { fill: '#8f3b1d', r: 10, n: 12, shape: 'strip' },
  lardons: { fill: '#d98b7a', r: 9, n: 16 },
  olives: { fill: '#2b2b2b', r: 9, n: 10, shape: 'ring' },
  anchois: { fill: '#7a7f86', r: 8, n: 8, shape: 'strip' },
  capres: { fill: '#6b8e23', r: 5, n: 14 },
  basilic: { fill: '#2f8f3a', r: 14, n: 6, shape: 'leaf' },
  roquette: { fill: '#3f9a3a', r: 16, n: 12, shape: 'leaf' },
  origan: { fill: '#55702f', r: 3, n: 30 },
  poivrons: { fill: '#3c9a3c', r: 12, n: 9, shape: 'strip' },
  oignons: { fill: '#b57aa8', r: 14, n: 8, shape: 'ring' },
  'tomates-cerises': { fill: '#d8261c', r: 16, n: 8 },
  oeuf: { fill: '#f4c21b', r: 34, n: 1 },
  gorgonzola: { fill: '#dfe3c8', r: 16, n: 8 },
  chevre: { fill: '#fbfaf2', r: 24, n: 6 },
  parmesan: { fill: '#f1dc9a', r: 6, n: 22 },
  reblochon: { fill: '#f6e3a8', r: 28, n: 5 },
  'pommes-de-terre': { fill: '#e9cf7d', r: 18, n: 9 },
  burrata: { fill: '#ffffff', r: 70, n: 1 },
  miel: { fill: '#e0a526', r: 6, n: 14 },
  'creme-truffe': { fill: '#4a3b2f', r: 5, n: 24 },
};

function pizza(slug: string, ingredients: string[]): string {
  const rnd = random(slug);
  const sauce = ingredients.includes('sauce-tomate') ? '#c8371f' : ingredients.includes('creme-truffe') ? '#f1e6cf' : '#f5ecd7';
  const shapes: string[] = [];
  // melted mozzarella first, then the toppings over it
  if (ingredients.includes('mozzarella')) {
    for (let i = 0; i < 9; i++) {
      const a = rnd() * Math.PI * 2;
      const d = Math.sqrt(rnd()) * 170;
      shapes.push(`<circle cx="${400 + Math.cos(a) * d}" cy="${300 + Math.sin(a) * d}" r="${38 + rnd() * 22}" fill="#fbf3dc" opacity="0.92"/>`);
    }
  }
  for (const ing of ingredients) {
    const t = TOPPINGS[ing];
    if (!t) continue;
    for (let i = 0; i < t.n; i++) {
      const a = rnd() * Math.PI * 2;
      const d = t.n === 1 ? 0 : Math.sqrt(rnd()) * 185;
      const x = 400 + Math.cos(a) * d;
      const y = 300 + Math.sin(a) * d;
      const turn = Math.round(rnd() * 180);
      if (t.shape === 'leaf') shapes.push(`<ellipse cx="${x}" cy="${y}" rx="${t.r}" ry="${t.r / 2.2}" fill="${t.fill}" transform="rotate(${turn} ${x} ${y})"/>`);
      else if (t.shape === 'strip') shapes.push(`<rect x="${x - t.r * 1.6}" y="${y - t.r / 2}" width="${t.r * 3.2}" height="${t.r}" rx="${t.r / 2}" fill="${t.fill}" transform="rotate(${turn} ${x} ${y})"/>`);
      else if (t.shape === 'ring') shapes.push(`<circle cx="${x}" cy="${y}" r="${t.r}" fill="none" stroke="${t.fill}" stroke-width="${Math.max(3, t.r / 2.5)}"/>`);
      else shapes.push(`<circle cx="${x}" cy="${y}" r="${t.r * (0.8 + rnd() * 0.4)}" fill="${t.fill}"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">
  <rect width="800" height="600" fill="#5b3a29"/>
  <rect width="800" height="600" fill="#7a5238" opacity="0.5"/>
  <circle cx="400" cy="300" r="262" fill="#3d2a1f" opacity="0.35"/>
  <circle cx="400" cy="296" r="255" fill="#d9a35a"/>
  <circle cx="400" cy="296" r="230" fill="#b97a3a" opacity="0.35"/>
  <circle cx="400" cy="300" r="215" fill="${sauce}"/>
  ${shapes.join('\n  ')}
</svg>`;
}

const DRINK_COLOURS: Record<string, [string, string]> = {
  coca: ['#c8102e', '#ffffff'],
  orangina: ['#f28c00', '#0b4f9c'],
  eau: ['#9ed3f0', '#1f5fa8'],
  biere: ['#f1f1ea', '#1a3f8f'],
};

function drink(ingredients: string[]): string {
  const [body, band] = DRINK_COLOURS[ingredients[0]] ?? ['#888', '#fff'];
  const bottle = ingredients[0] === 'eau' || ingredients[0] === 'biere';
  const shape = bottle
    ? `<path d="M370 90 h60 v80 q50 30 50 90 v250 q0 20 -20 20 h-120 q-20 0 -20 -20 v-250 q0 -60 50 -90 z" fill="${body}" stroke="#333" stroke-width="4"/>
       <rect x="325" y="300" width="150" height="90" fill="${band}"/>`
    : `<rect x="320" y="120" width="160" height="380" rx="24" fill="${body}" stroke="#333" stroke-width="4"/>
       <rect x="320" y="270" width="160" height="70" fill="${band}"/>
       <ellipse cx="400" cy="124" rx="78" ry="14" fill="#d7d7d7" stroke="#333" stroke-width="3"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">
  <rect width="800" height="600" fill="#efe7dc"/>
  <ellipse cx="400" cy="520" rx="140" ry="22" fill="#000" opacity="0.12"/>
  ${shape}
</svg>`;
}

const DESSERT_COLOURS: Record<string, [string, string]> = {
  tiramisu: ['#c9a37a', '#5b3a29'],
  'panna-cotta': ['#fbf6ea', '#b3261e'],
  fondant: ['#4a2b1a', '#2e1a10'],
  glace: ['#f6ecc9', '#e9d9a4'],
};

function dessert(ingredients: string[]): string {
  const [cake, top] = DESSERT_COLOURS[ingredients[0]] ?? ['#ddd', '#aaa'];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">
  <rect width="800" height="600" fill="#f3ede4"/>
  <ellipse cx="400" cy="360" rx="260" ry="120" fill="#ffffff" stroke="#d8cfc2" stroke-width="6"/>
  <ellipse cx="400" cy="320" rx="130" ry="60" fill="${cake}"/>
  <rect x="270" y="250" width="260" height="70" fill="${cake}"/>
  <ellipse cx="400" cy="250" rx="130" ry="60" fill="${top}"/>
</svg>`;
}

/** The drawing of a product, from its category and the ingredients of its recipe. */
export function drawProduct(slug: string, category: ProductKind, ingredients: string[]): string {
  if (category === 'pizza') return pizza(slug, ingredients);
  if (category === 'drink') return drink(ingredients);
  return dessert(ingredients);
}

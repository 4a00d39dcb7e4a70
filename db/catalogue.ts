import type { Allergen } from '../src/lib/domain/line-allergens.ts';
import type { AllergenKind } from '../src/lib/domain/allergen-kinds.ts';
import type { ProductKind } from '../src/lib/domain/product-kinds.ts';
// The demo chain: five OC Pizza shops in Paris, their menu, recipes and opening stock.

/**
 * The demo company behind the five shops (plausible, not a real one): each shop is one of its
 * establishments, with a SIRET of its own (the company's SIREN and the shop's number, Luhn's key
 * right) and the company's intra-community VAT number; every receipt prints them.
 */
export const DEMO_COMPANY = { legalName: 'OC Pizza SAS', siren: '852741966', vatNumber: 'FR96852741966' } as const;

export const PIZZERIAS = [
  { slug: 'bastille', name: 'OC Pizza Bastille', address: '12 rue de la Roquette, 75011 Paris', lat: 48.85371, lng: 2.37185, phone: '01 43 55 10 11', siret: '85274196600018' },
  { slug: 'montmartre', name: 'OC Pizza Montmartre', address: '24 rue des Abbesses, 75018 Paris', lat: 48.88461, lng: 2.33779, phone: '01 42 55 20 22', siret: '85274196600026' },
  { slug: 'batignolles', name: 'OC Pizza Batignolles', address: '37 rue des Dames, 75017 Paris', lat: 48.88375, lng: 2.32208, phone: '01 45 22 30 33', siret: '85274196600034' },
  { slug: 'montparnasse', name: 'OC Pizza Montparnasse', address: '60 rue du Montparnasse, 75014 Paris', lat: 48.84296, lng: 2.32436, phone: '01 43 20 40 44', siret: '85274196600042' },
  { slug: 'canal', name: 'OC Pizza Canal Saint-Martin', address: '45 quai de Valmy, 75010 Paris', lat: 48.87132, lng: 2.36443, phone: '01 42 06 50 55', siret: '85274196600059' },
] as const;

type Unit = 'g' | 'ml' | 'piece';

/** Dietary tags of the demo menu's products (the others have none), and the products taxed at 20 % (alcohol; the rest 10 %). */
export const TAGS: Record<string, string[]> = {
  margherita: ['vegetarian'],
  'quatre-fromages': ['vegetarian'],
  'chevre-miel': ['vegetarian'],
  vegetarienne: ['vegetarian'],
  burrata: ['vegetarian'],
  truffe: ['vegetarian'],
  diavola: ['spicy'],
  orientale: ['spicy'],
};
/**
 * The VAT rates in force (docs/conformite-caisse.md), taken away and delivered: alcohol 20 %, the
 * soft drinks sold sealed (cans, bottles) 5.5 %, the food made here 10 %.
 */
const VAT_20 = ['peroni'];
const SEALED_SOFT_DRINKS = ['coca-cola', 'eau-minerale', 'orangina'];
export const vatRatesOf = (slug: string) => {
  const rate = VAT_20.includes(slug) ? 20 : SEALED_SOFT_DRINKS.includes(slug) ? 5.5 : 10;
  return { pickup: rate, delivery: rate };
};

/** The EU's 14 allergens each ingredient contains (the others contain none). */
// demo data in the domain's words, each ingredient's own (Allergen checks them): not a copy of the list
/* eslint-disable project/named-once */
export const ALLERGENS: Record<string, Allergen[]> = {
  pate: ['gluten'],
  biere: ['gluten'],
  mozzarella: ['milk'],
  'creme-fraiche': ['milk'],
  gorgonzola: ['milk'],
  chevre: ['milk'],
  parmesan: ['milk'],
  reblochon: ['milk'],
  burrata: ['milk'],
  'creme-truffe': ['milk'],
  'panna-cotta': ['milk'],
  anchois: ['fish'],
  oeuf: ['eggs'],
  merguez: ['sulphites'],
  tiramisu: ['gluten', 'eggs', 'milk'],
  fondant: ['gluten', 'eggs', 'milk'],
  glace: ['milk', 'eggs'],
};
/* eslint-enable project/named-once */

/**
 * The cereal each gluten ingredient is made of (annex II wants it named; the demo has no tree nut):
 * the dough and the desserts' sponge and ladyfingers are wheat flour, the Peroni is brewed from barley
 * malt (and maize, which has no gluten).
 */
export const ALLERGEN_KINDS_OF: Record<string, AllergenKind[]> = {
  pate: ['wheat'],
  biere: ['barley'],
  tiramisu: ['wheat'],
  fondant: ['wheat'],
};
/** slug → [name, unit, opening stock per shop, English name] */
export const INGREDIENTS: Record<string, [string, Unit, number, string]> = {
  pate: ['Pâton (250 g)', 'piece', 60, 'Dough ball (250 g)'],
  'sauce-tomate': ['Sauce tomate San Marzano', 'g', 8000, 'San Marzano tomato sauce'],
  mozzarella: ['Mozzarella fior di latte', 'g', 9000, 'Fior di latte mozzarella'],
  'creme-fraiche': ['Crème fraîche', 'g', 2500, 'Crème fraîche'],
  jambon: ['Jambon blanc', 'g', 3000, 'Cooked ham'],
  champignons: ['Champignons de Paris', 'g', 3000, 'Button mushrooms'],
  gorgonzola: ['Gorgonzola', 'g', 1500, 'Gorgonzola'],
  chevre: ['Bûche de chèvre', 'g', 1500, 'Goat cheese log'],
  parmesan: ['Parmigiano Reggiano', 'g', 1500, 'Parmigiano Reggiano'],
  chorizo: ['Chorizo piquant', 'g', 1500, 'Spicy chorizo'],
  poivrons: ['Poivrons', 'g', 2000, 'Peppers'],
  oignons: ['Oignons rouges', 'g', 2000, 'Red onions'],
  olives: ['Olives noires', 'g', 1000, 'Black olives'],
  basilic: ['Basilic frais', 'g', 300, 'Fresh basil'],
  origan: ['Origan', 'g', 200, 'Oregano'],
  'huile-olive': ["Huile d'olive", 'ml', 3000, 'Olive oil'],
  anchois: ['Anchois', 'g', 600, 'Anchovies'],
  capres: ['Câpres', 'g', 300, 'Capers'],
  miel: ['Miel de fleurs', 'g', 600, 'Wildflower honey'],
  lardons: ['Lardons fumés', 'g', 1800, 'Smoked bacon lardons'],
  'pommes-de-terre': ['Pommes de terre', 'g', 2500, 'Potatoes'],
  reblochon: ['Reblochon', 'g', 1200, 'Reblochon'],
  merguez: ['Merguez', 'g', 1500, 'Merguez sausage'],
  oeuf: ['Œuf', 'piece', 30, 'Egg'],
  // the scarce ones: a few orders and the pizza greys out
  burrata: ['Burrata des Pouilles', 'piece', 4, 'Apulian burrata'],
  'creme-truffe': ['Crème de truffe noire', 'g', 120, 'Black truffle cream'],
  'jambon-parme': ['Jambon de Parme', 'g', 400, 'Parma ham'],
  roquette: ['Roquette', 'g', 600, 'Rocket'],
  'tomates-cerises': ['Tomates cerises', 'g', 1200, 'Cherry tomatoes'],
  coca: ['Coca-Cola 33 cl', 'piece', 48, 'Coca-Cola 33 cl'],
  eau: ['Eau minérale 50 cl', 'piece', 48, 'Mineral water 50 cl'],
  biere: ['Bière Peroni 33 cl', 'piece', 24, 'Peroni beer 33 cl'],
  orangina: ['Orangina 33 cl', 'piece', 24, 'Orangina 33 cl'],
  tiramisu: ['Tiramisu maison', 'piece', 10, 'Homemade tiramisu'],
  'panna-cotta': ['Panna cotta', 'piece', 8, 'Panna cotta'],
  fondant: ['Fondant au chocolat', 'piece', 6, 'Chocolate fondant'],
  glace: ['Glace vanille (pot)', 'piece', 12, 'Vanilla ice cream (tub)'],
};

interface ProductSeed {
  slug: string;
  name: string;
  category: ProductKind;
  price: number;
  description: string;
  recipe: Record<string, number>;
  steps?: string[];
  /** English text; a name left out is the same in both languages. */
  en: { name?: string; description: string; steps?: string[] };
}

const BASE = 'Étaler le pâton en disque de 30 cm, bords épais.';
const BAKE = 'Cuire 90 s au four à 450 °C, tourner à mi-cuisson.';
const BASE_EN = 'Stretch the dough ball into a 30 cm disc with a thick rim.';
const BAKE_EN = 'Bake 90 s at 450 °C, turning halfway.';

export const PRODUCTS: ProductSeed[] = [
  { slug: 'margherita', name: 'Margherita', category: 'pizza', price: 1050, description: 'Tomate, mozzarella, basilic frais, huile d\'olive',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 120, basilic: 3, 'huile-olive': 10 },
    steps: [BASE, 'Sauce tomate en spirale, mozzarella déchirée.', BAKE, 'Basilic et filet d\'huile à la sortie.'],
    en: { description: 'Tomato, mozzarella, fresh basil, olive oil', steps: [BASE_EN, 'Tomato sauce in a spiral, torn mozzarella.', BAKE_EN, 'Basil and a drizzle of oil when it comes out.'] } },
  { slug: 'reine', name: 'Reine', category: 'pizza', price: 1250, description: 'Tomate, mozzarella, jambon, champignons, origan',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 110, jambon: 60, champignons: 50, origan: 1 },
    steps: [BASE, 'Sauce, mozzarella, jambon en lanières, champignons émincés.', BAKE, 'Origan à la sortie.'],
    en: { name: 'Regina', description: 'Tomato, mozzarella, ham, mushrooms, oregano', steps: [BASE_EN, 'Sauce, mozzarella, ham in strips, sliced mushrooms.', BAKE_EN, 'Oregano when it comes out.'] } },
  { slug: 'quatre-fromages', name: 'Quatre fromages', category: 'pizza', price: 1390, description: 'Crème, mozzarella, gorgonzola, chèvre, parmesan',
    recipe: { pate: 1, 'creme-fraiche': 60, mozzarella: 80, gorgonzola: 40, chevre: 40, parmesan: 20 },
    steps: [BASE, 'Base crème, fromages répartis en quartiers.', BAKE],
    en: { name: 'Four cheeses', description: 'Cream, mozzarella, gorgonzola, goat cheese, parmesan', steps: [BASE_EN, 'Cream base, cheeses spread in quarters.', BAKE_EN] } },
  { slug: 'calzone', name: 'Calzone', category: 'pizza', price: 1350, description: 'Chausson : tomate, mozzarella, jambon, œuf, champignons',
    recipe: { pate: 1, 'sauce-tomate': 60, mozzarella: 100, jambon: 60, oeuf: 1, champignons: 40 },
    steps: [BASE, 'Garnir une moitié, casser l\'œuf au centre.', 'Replier, souder les bords, une louche de sauce dessus.', 'Cuire 2 min 30 à 400 °C.'],
    en: { description: 'Folded pizza: tomato, mozzarella, ham, egg, mushrooms', steps: [BASE_EN, 'Fill one half, crack the egg in the middle.', 'Fold over, seal the edges, a ladle of sauce on top.', 'Bake 2 min 30 at 400 °C.'] } },
  { slug: 'napolitaine', name: 'Napolitaine', category: 'pizza', price: 1150, description: 'Tomate, mozzarella, anchois, câpres, olives noires',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, anchois: 25, capres: 8, olives: 15, origan: 1 },
    steps: [BASE, 'Sauce, mozzarella, anchois en étoile, câpres, olives.', BAKE],
    en: { name: 'Napoletana', description: 'Tomato, mozzarella, anchovies, capers, black olives', steps: [BASE_EN, 'Sauce, mozzarella, anchovies in a star, capers, olives.', BAKE_EN] } },
  { slug: 'chevre-miel', name: 'Chèvre-miel', category: 'pizza', price: 1350, description: 'Crème, mozzarella, chèvre, miel, origan',
    recipe: { pate: 1, 'creme-fraiche': 60, mozzarella: 80, chevre: 70, miel: 15, origan: 1 },
    steps: [BASE, 'Base crème, mozzarella, rondelles de chèvre.', BAKE, 'Filet de miel à la sortie.'],
    en: { name: 'Goat cheese & honey', description: 'Cream, mozzarella, goat cheese, honey, oregano', steps: [BASE_EN, 'Cream base, mozzarella, goat cheese rounds.', BAKE_EN, 'A drizzle of honey when it comes out.'] } },
  { slug: 'diavola', name: 'Diavola', category: 'pizza', price: 1350, description: 'Tomate, mozzarella, chorizo piquant, poivrons',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 110, chorizo: 60, poivrons: 30, 'huile-olive': 5 },
    steps: [BASE, 'Sauce, mozzarella, chorizo, poivrons en lanières.', BAKE],
    en: { description: 'Tomato, mozzarella, spicy chorizo, peppers', steps: [BASE_EN, 'Sauce, mozzarella, chorizo, peppers in strips.', BAKE_EN] } },
  { slug: 'vegetarienne', name: 'Végétarienne', category: 'pizza', price: 1250, description: 'Tomate, mozzarella, poivrons, champignons, oignons, olives, tomates cerises',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, poivrons: 40, champignons: 40, oignons: 30, olives: 15, 'tomates-cerises': 40 },
    steps: [BASE, 'Sauce, mozzarella, légumes répartis, tomates cerises coupées en deux.', BAKE],
    en: { name: 'Vegetarian', description: 'Tomato, mozzarella, peppers, mushrooms, onions, olives, cherry tomatoes', steps: [BASE_EN, 'Sauce, mozzarella, vegetables spread out, cherry tomatoes cut in half.', BAKE_EN] } },
  { slug: 'savoyarde', name: 'Savoyarde', category: 'pizza', price: 1490, description: 'Crème, mozzarella, pommes de terre, lardons, reblochon, oignons',
    recipe: { pate: 1, 'creme-fraiche': 70, mozzarella: 60, 'pommes-de-terre': 100, lardons: 60, reblochon: 80, oignons: 20 },
    steps: [BASE, 'Base crème, rondelles de pommes de terre cuites, lardons, oignons.', 'Reblochon croûte vers le haut.', BAKE],
    en: { description: 'Cream, mozzarella, potatoes, bacon lardons, reblochon, onions', steps: [BASE_EN, 'Cream base, slices of cooked potato, lardons, onions.', 'Reblochon rind side up.', BAKE_EN] } },
  { slug: 'orientale', name: 'Orientale', category: 'pizza', price: 1390, description: 'Tomate, mozzarella, merguez, poivrons, oignons',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, merguez: 80, poivrons: 30, oignons: 20 },
    steps: [BASE, 'Sauce, mozzarella, merguez en rondelles, poivrons, oignons.', BAKE],
    en: { description: 'Tomato, mozzarella, merguez sausage, peppers, onions', steps: [BASE_EN, 'Sauce, mozzarella, merguez in rounds, peppers, onions.', BAKE_EN] } },
  { slug: 'burrata', name: 'Burrata', category: 'pizza', price: 1690, description: 'Tomate, burrata entière, tomates cerises, roquette, basilic',
    recipe: { pate: 1, 'sauce-tomate': 80, burrata: 1, 'tomates-cerises': 50, roquette: 15, 'huile-olive': 10, basilic: 2 },
    steps: [BASE, 'Sauce et tomates cerises seulement.', BAKE, 'Burrata entière au centre, roquette, basilic, huile.'],
    en: { description: 'Tomato, a whole burrata, cherry tomatoes, rocket, basil', steps: [BASE_EN, 'Sauce and cherry tomatoes only.', BAKE_EN, 'Whole burrata in the middle, rocket, basil, oil.'] } },
  { slug: 'truffe', name: 'Truffe', category: 'pizza', price: 1890, description: 'Crème de truffe noire, mozzarella, champignons, parmesan',
    recipe: { pate: 1, 'creme-truffe': 30, mozzarella: 100, champignons: 50, parmesan: 15 },
    steps: [BASE, 'Base crème de truffe (30 g, pesée), mozzarella, champignons.', BAKE, 'Copeaux de parmesan à la sortie.'],
    en: { name: 'Truffle', description: 'Black truffle cream, mozzarella, mushrooms, parmesan', steps: [BASE_EN, 'Truffle cream base (30 g, weighed), mozzarella, mushrooms.', BAKE_EN, 'Parmesan shavings when it comes out.'] } },
  { slug: 'parma', name: 'Parma', category: 'pizza', price: 1590, description: 'Tomate, mozzarella, jambon de Parme, roquette, parmesan',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, 'jambon-parme': 50, roquette: 20, parmesan: 15 },
    steps: [BASE, 'Sauce et mozzarella.', BAKE, 'Jambon de Parme, roquette et parmesan à la sortie.'],
    en: { description: 'Tomato, mozzarella, Parma ham, rocket, parmesan', steps: [BASE_EN, 'Sauce and mozzarella.', BAKE_EN, 'Parma ham, rocket and parmesan when it comes out.'] } },
  { slug: 'carbonara', name: 'Carbonara', category: 'pizza', price: 1390, description: 'Crème, mozzarella, lardons, oignons, œuf',
    recipe: { pate: 1, 'creme-fraiche': 70, mozzarella: 90, lardons: 60, oignons: 20, oeuf: 1 },
    steps: [BASE, 'Base crème, mozzarella, lardons, oignons.', 'Œuf au centre à mi-cuisson.', BAKE],
    en: { description: 'Cream, mozzarella, bacon lardons, onions, egg', steps: [BASE_EN, 'Cream base, mozzarella, lardons, onions.', 'Egg in the middle halfway through baking.', BAKE_EN] } },
  { slug: 'coca-cola', name: 'Coca-Cola 33 cl', category: 'drink', price: 300, description: 'Canette', recipe: { coca: 1 },
    en: { description: 'Can' } },
  { slug: 'eau-minerale', name: 'Eau minérale 50 cl', category: 'drink', price: 250, description: 'Bouteille', recipe: { eau: 1 },
    en: { name: 'Mineral water 50 cl', description: 'Bottle' } },
  { slug: 'peroni', name: 'Bière Peroni 33 cl', category: 'drink', price: 400, description: 'Bouteille, 5,1 % vol.', recipe: { biere: 1 },
    en: { name: 'Peroni beer 33 cl', description: 'Bottle, 5.1% ABV' } },
  { slug: 'orangina', name: 'Orangina 33 cl', category: 'drink', price: 300, description: 'Canette', recipe: { orangina: 1 },
    en: { description: 'Can' } },
  { slug: 'tiramisu', name: 'Tiramisu', category: 'dessert', price: 550, description: 'Maison, au mascarpone', recipe: { tiramisu: 1 },
    en: { description: 'Homemade, with mascarpone' } },
  { slug: 'panna-cotta', name: 'Panna cotta', category: 'dessert', price: 500, description: 'Coulis de fruits rouges', recipe: { 'panna-cotta': 1 },
    en: { description: 'Red berry coulis' } },
  { slug: 'fondant', name: 'Fondant au chocolat', category: 'dessert', price: 550, description: 'Cœur coulant', recipe: { fondant: 1 },
    en: { name: 'Chocolate fondant', description: 'Molten centre' } },
  { slug: 'glace-vanille', name: 'Glace vanille', category: 'dessert', price: 450, description: 'Pot de 100 ml', recipe: { glace: 1 },
    en: { name: 'Vanilla ice cream', description: '100 ml tub' } },
];

/** The menu's sections, in the storefront's order: [slug, name, English name, the kind of product in it]. */
export const CATEGORIES: [string, string, string, ProductKind][] = [
  ['pizzas', 'Pizzas', 'Pizzas', 'pizza'],
  ['boissons', 'Boissons', 'Drinks', 'drink'],
  ['desserts', 'Desserts', 'Desserts', 'dessert'],
];

/**
 * What a customer may choose on every pizza: a large size and extra toppings (each adds to the
 * recipe, so to what it takes from stock), and leaving out one of these ingredients when the
 * recipe has it.
 */
export const PIZZA_OPTIONS: { kind: 'size' | 'extra'; name: string; nameEn: string; price: number; adds: Record<string, number> }[] = [
  { kind: 'size', name: 'Grande (40 cm)', nameEn: 'Large (40 cm)', price: 400, adds: { pate: 1, mozzarella: 60 } },
  { kind: 'extra', name: 'Supplément mozzarella', nameEn: 'Extra mozzarella', price: 150, adds: { mozzarella: 50 } },
  { kind: 'extra', name: 'Supplément champignons', nameEn: 'Extra mushrooms', price: 150, adds: { champignons: 40 } },
  { kind: 'extra', name: 'Supplément jambon', nameEn: 'Extra ham', price: 200, adds: { jambon: 50 } },
];
export const WITHOUT: Record<string, [string, string]> = {
  oignons: ['Sans oignons', 'No onions'],
  champignons: ['Sans champignons', 'No mushrooms'],
  olives: ['Sans olives', 'No olives'],
  anchois: ['Sans anchois', 'No anchovies'],
  capres: ['Sans câpres', 'No capers'],
  basilic: ['Sans basilic', 'No basil'],
  roquette: ['Sans roquette', 'No rocket'],
  poivrons: ['Sans poivrons', 'No peppers'],
};

export const STAFF_ROLES = ['manager', 'kitchen', 'counter', 'driver1', 'driver2'] as const;

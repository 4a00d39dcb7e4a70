// The demo chain: five OC Pizza shops in Paris, their menu, recipes and opening stock.

export const PIZZERIAS = [
  { slug: 'bastille', name: 'OC Pizza Bastille', address: '12 rue de la Roquette, 75011 Paris', lat: 48.85371, lng: 2.37185, phone: '01 43 55 10 11' },
  { slug: 'montmartre', name: 'OC Pizza Montmartre', address: '24 rue des Abbesses, 75018 Paris', lat: 48.88461, lng: 2.33779, phone: '01 42 55 20 22' },
  { slug: 'batignolles', name: 'OC Pizza Batignolles', address: '37 rue des Dames, 75017 Paris', lat: 48.88375, lng: 2.32208, phone: '01 45 22 30 33' },
  { slug: 'montparnasse', name: 'OC Pizza Montparnasse', address: '60 rue du Montparnasse, 75014 Paris', lat: 48.84296, lng: 2.32436, phone: '01 43 20 40 44' },
  { slug: 'canal', name: 'OC Pizza Canal Saint-Martin', address: '45 quai de Valmy, 75010 Paris', lat: 48.87132, lng: 2.36443, phone: '01 42 06 50 55' },
] as const;

type Unit = 'g' | 'ml' | 'piece';
/** slug → [name, unit, opening stock per shop] */
export const INGREDIENTS: Record<string, [string, Unit, number]> = {
  pate: ['Pâton (250 g)', 'piece', 60],
  'sauce-tomate': ['Sauce tomate San Marzano', 'g', 8000],
  mozzarella: ['Mozzarella fior di latte', 'g', 9000],
  'creme-fraiche': ['Crème fraîche', 'g', 2500],
  jambon: ['Jambon blanc', 'g', 3000],
  champignons: ['Champignons de Paris', 'g', 3000],
  gorgonzola: ['Gorgonzola', 'g', 1500],
  chevre: ['Bûche de chèvre', 'g', 1500],
  parmesan: ['Parmigiano Reggiano', 'g', 1500],
  chorizo: ['Chorizo piquant', 'g', 1500],
  poivrons: ['Poivrons', 'g', 2000],
  oignons: ['Oignons rouges', 'g', 2000],
  olives: ['Olives noires', 'g', 1000],
  basilic: ['Basilic frais', 'g', 300],
  origan: ['Origan', 'g', 200],
  'huile-olive': ["Huile d'olive", 'ml', 3000],
  anchois: ['Anchois', 'g', 600],
  capres: ['Câpres', 'g', 300],
  miel: ['Miel de fleurs', 'g', 600],
  lardons: ['Lardons fumés', 'g', 1800],
  'pommes-de-terre': ['Pommes de terre', 'g', 2500],
  reblochon: ['Reblochon', 'g', 1200],
  merguez: ['Merguez', 'g', 1500],
  oeuf: ['Œuf', 'piece', 30],
  // the scarce ones: a few orders and the pizza greys out
  burrata: ['Burrata des Pouilles', 'piece', 4],
  'creme-truffe': ['Crème de truffe noire', 'g', 120],
  'jambon-parme': ['Jambon de Parme', 'g', 400],
  roquette: ['Roquette', 'g', 600],
  'tomates-cerises': ['Tomates cerises', 'g', 1200],
  coca: ['Coca-Cola 33 cl', 'piece', 48],
  eau: ['Eau minérale 50 cl', 'piece', 48],
  biere: ['Bière Peroni 33 cl', 'piece', 24],
  orangina: ['Orangina 33 cl', 'piece', 24],
  tiramisu: ['Tiramisu maison', 'piece', 10],
  'panna-cotta': ['Panna cotta', 'piece', 8],
  fondant: ['Fondant au chocolat', 'piece', 6],
  glace: ['Glace vanille (pot)', 'piece', 12],
};

interface ProductSeed {
  slug: string;
  name: string;
  category: 'pizza' | 'drink' | 'dessert';
  price: number;
  description: string;
  recipe: Record<string, number>;
  steps?: string[];
}

const BASE = 'Étaler le pâton en disque de 30 cm, bords épais.';
const BAKE = 'Cuire 90 s au four à 450 °C, tourner à mi-cuisson.';

export const PRODUCTS: ProductSeed[] = [
  { slug: 'margherita', name: 'Margherita', category: 'pizza', price: 1050, description: 'Tomate, mozzarella, basilic frais, huile d\'olive',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 120, basilic: 3, 'huile-olive': 10 },
    steps: [BASE, 'Sauce tomate en spirale, mozzarella déchirée.', BAKE, 'Basilic et filet d\'huile à la sortie.'] },
  { slug: 'reine', name: 'Reine', category: 'pizza', price: 1250, description: 'Tomate, mozzarella, jambon, champignons, origan',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 110, jambon: 60, champignons: 50, origan: 1 },
    steps: [BASE, 'Sauce, mozzarella, jambon en lanières, champignons émincés.', BAKE, 'Origan à la sortie.'] },
  { slug: 'quatre-fromages', name: 'Quatre fromages', category: 'pizza', price: 1390, description: 'Crème, mozzarella, gorgonzola, chèvre, parmesan',
    recipe: { pate: 1, 'creme-fraiche': 60, mozzarella: 80, gorgonzola: 40, chevre: 40, parmesan: 20 },
    steps: [BASE, 'Base crème, fromages répartis en quartiers.', BAKE] },
  { slug: 'calzone', name: 'Calzone', category: 'pizza', price: 1350, description: 'Chausson : tomate, mozzarella, jambon, œuf, champignons',
    recipe: { pate: 1, 'sauce-tomate': 60, mozzarella: 100, jambon: 60, oeuf: 1, champignons: 40 },
    steps: [BASE, 'Garnir une moitié, casser l\'œuf au centre.', 'Replier, souder les bords, une louche de sauce dessus.', 'Cuire 2 min 30 à 400 °C.'] },
  { slug: 'napolitaine', name: 'Napolitaine', category: 'pizza', price: 1150, description: 'Tomate, mozzarella, anchois, câpres, olives noires',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, anchois: 25, capres: 8, olives: 15, origan: 1 },
    steps: [BASE, 'Sauce, mozzarella, anchois en étoile, câpres, olives.', BAKE] },
  { slug: 'chevre-miel', name: 'Chèvre-miel', category: 'pizza', price: 1350, description: 'Crème, mozzarella, chèvre, miel, origan',
    recipe: { pate: 1, 'creme-fraiche': 60, mozzarella: 80, chevre: 70, miel: 15, origan: 1 },
    steps: [BASE, 'Base crème, mozzarella, rondelles de chèvre.', BAKE, 'Filet de miel à la sortie.'] },
  { slug: 'diavola', name: 'Diavola', category: 'pizza', price: 1350, description: 'Tomate, mozzarella, chorizo piquant, poivrons',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 110, chorizo: 60, poivrons: 30, 'huile-olive': 5 },
    steps: [BASE, 'Sauce, mozzarella, chorizo, poivrons en lanières.', BAKE] },
  { slug: 'vegetarienne', name: 'Végétarienne', category: 'pizza', price: 1250, description: 'Tomate, mozzarella, poivrons, champignons, oignons, olives, tomates cerises',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, poivrons: 40, champignons: 40, oignons: 30, olives: 15, 'tomates-cerises': 40 },
    steps: [BASE, 'Sauce, mozzarella, légumes répartis, tomates cerises coupées en deux.', BAKE] },
  { slug: 'savoyarde', name: 'Savoyarde', category: 'pizza', price: 1490, description: 'Crème, mozzarella, pommes de terre, lardons, reblochon, oignons',
    recipe: { pate: 1, 'creme-fraiche': 70, mozzarella: 60, 'pommes-de-terre': 100, lardons: 60, reblochon: 80, oignons: 20 },
    steps: [BASE, 'Base crème, rondelles de pommes de terre cuites, lardons, oignons.', 'Reblochon croûte vers le haut.', BAKE] },
  { slug: 'orientale', name: 'Orientale', category: 'pizza', price: 1390, description: 'Tomate, mozzarella, merguez, poivrons, oignons',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, merguez: 80, poivrons: 30, oignons: 20 },
    steps: [BASE, 'Sauce, mozzarella, merguez en rondelles, poivrons, oignons.', BAKE] },
  { slug: 'burrata', name: 'Burrata', category: 'pizza', price: 1690, description: 'Tomate, burrata entière, tomates cerises, roquette, basilic',
    recipe: { pate: 1, 'sauce-tomate': 80, burrata: 1, 'tomates-cerises': 50, roquette: 15, 'huile-olive': 10, basilic: 2 },
    steps: [BASE, 'Sauce et tomates cerises seulement.', BAKE, 'Burrata entière au centre, roquette, basilic, huile.'] },
  { slug: 'truffe', name: 'Truffe', category: 'pizza', price: 1890, description: 'Crème de truffe noire, mozzarella, champignons, parmesan',
    recipe: { pate: 1, 'creme-truffe': 30, mozzarella: 100, champignons: 50, parmesan: 15 },
    steps: [BASE, 'Base crème de truffe (30 g, pesée), mozzarella, champignons.', BAKE, 'Copeaux de parmesan à la sortie.'] },
  { slug: 'parma', name: 'Parma', category: 'pizza', price: 1590, description: 'Tomate, mozzarella, jambon de Parme, roquette, parmesan',
    recipe: { pate: 1, 'sauce-tomate': 80, mozzarella: 100, 'jambon-parme': 50, roquette: 20, parmesan: 15 },
    steps: [BASE, 'Sauce et mozzarella.', BAKE, 'Jambon de Parme, roquette et parmesan à la sortie.'] },
  { slug: 'carbonara', name: 'Carbonara', category: 'pizza', price: 1390, description: 'Crème, mozzarella, lardons, oignons, œuf',
    recipe: { pate: 1, 'creme-fraiche': 70, mozzarella: 90, lardons: 60, oignons: 20, oeuf: 1 },
    steps: [BASE, 'Base crème, mozzarella, lardons, oignons.', 'Œuf au centre à mi-cuisson.', BAKE] },
  { slug: 'coca-cola', name: 'Coca-Cola 33 cl', category: 'drink', price: 300, description: 'Canette', recipe: { coca: 1 } },
  { slug: 'eau-minerale', name: 'Eau minérale 50 cl', category: 'drink', price: 250, description: 'Bouteille', recipe: { eau: 1 } },
  { slug: 'peroni', name: 'Bière Peroni 33 cl', category: 'drink', price: 400, description: 'Bouteille, 5,1 % vol.', recipe: { biere: 1 } },
  { slug: 'orangina', name: 'Orangina 33 cl', category: 'drink', price: 300, description: 'Canette', recipe: { orangina: 1 } },
  { slug: 'tiramisu', name: 'Tiramisu', category: 'dessert', price: 550, description: 'Maison, au mascarpone', recipe: { tiramisu: 1 } },
  { slug: 'panna-cotta', name: 'Panna cotta', category: 'dessert', price: 500, description: 'Coulis de fruits rouges', recipe: { 'panna-cotta': 1 } },
  { slug: 'fondant', name: 'Fondant au chocolat', category: 'dessert', price: 550, description: 'Cœur coulant', recipe: { fondant: 1 } },
  { slug: 'glace-vanille', name: 'Glace vanille', category: 'dessert', price: 450, description: 'Pot de 100 ml', recipe: { glace: 1 } },
];

export const STAFF_ROLES = ['manager', 'kitchen', 'counter', 'driver1', 'driver2'] as const;

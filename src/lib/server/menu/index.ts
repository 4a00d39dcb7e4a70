// The chain's menu in the back office: what it is (records.ts), its products and ingredients, their options, and the storefront's categories.
export * from './records.ts';
export * from './products.ts';
export * from './options.ts';
export * from './categories.ts';

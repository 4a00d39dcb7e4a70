// A page's data sent from its load as JSON text. SvelteKit writes what a load returns with its own
// serializer, which visits every value of every object one by one and keeps each in a table: at
// 500 shops, head office's board (the shops, their orders and low stock: 400 KB) spent 23 ms of the
// server's CPU a read there, 40 % of the read (docs/benchmarks.md). As one string it is one value
// to that serializer, and the page reads it whole with JSON.parse. For plain JSON only: a Date
// would come back a string, an undefined field not at all.

/** JSON text of a T: a string, typed by what it holds. */
export type JsonText<T> = string & { readonly jsonOf?: T };

export const jsonText = <T>(value: T): JsonText<T> => JSON.stringify(value) as JsonText<T>;

export const fromJsonText = <T>(text: JsonText<T>): T => JSON.parse(text) as T;

// One error type with a code and an HTTP status; the Express middleware and socket acks render it.

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { fields?: FieldErrors; items?: unknown[]; shop?: unknown; maxCents?: number } = {},
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const forbidden = (message = 'you may not do this') => new AppError(403, 'forbidden', message);
export const unauthorized = () => new AppError(401, 'unauthorized', 'please log in');
export const conflict = (code: string, message: string, details: AppError['details'] = {}) =>
  new AppError(409, code, message, details);
export const invalid = (fields: FieldErrors, message = 'some fields are invalid') =>
  new AppError(422, 'invalid', message, { fields });

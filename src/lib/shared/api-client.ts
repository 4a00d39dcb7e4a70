// The one client for what pages ask of the JSON API (outside the staff taps, which wait and retry:
// staff-actions.ts). Every answer is typed and comes back the same way: the data, or the server's
// refusal (its code and message), or no answer at all (offline), for the page to say which.

/** What a request gives back: the data, or why not (status null: no answer came). */
export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number | null; code: string | null; message: string | null; body: unknown };

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export class ApiClient {
  /** fetch is given (tests), or the page's own, looked up at each call. */
  constructor(private readonly fetchFn: Fetch = (input, init) => fetch(input, init)) {}

  get<T>(url: string): Promise<ApiResult<T>> {
    return this.send<T>(url, {});
  }

  /** A JSON body, posted. */
  post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
    return this.send<T>(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  /** A JSON body (or none) with another method: PATCH, PUT, DELETE. */
  request<T>(method: string, url: string, body?: unknown): Promise<ApiResult<T>> {
    return this.send<T>(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** A file or other raw body, posted as it is with its own type. */
  upload<T>(url: string, body: Blob, contentType: string): Promise<ApiResult<T>> {
    return this.send<T>(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  }

  private async send<T>(url: string, init: RequestInit): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await this.fetchFn(url, init);
    } catch {
      return { ok: false, status: null, code: null, message: null, body: null };
    }
    const json: unknown = await res.json().catch(() => null);
    if (res.ok) return { ok: true, status: res.status, data: json as T };
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return {
      ok: false,
      status: res.status,
      code: typeof error?.code === 'string' ? error.code : null,
      message: typeof error?.message === 'string' ? error.message : null,
      body: json,
    };
  }
}

/** The pages' client. */
export const api = new ApiClient();

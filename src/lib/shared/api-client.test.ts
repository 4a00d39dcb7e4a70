import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';

type Call = { url: string; init?: RequestInit };
function client(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const api = new ApiClient(async (url, init) => {
    calls.push({ url, init });
    return answer({ url, init });
  });
  return { api, calls };
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the pages’ API client', () => {
  it('posts JSON with its content type and gives back the data', async () => {
    const { api, calls } = client(() => json(200, { id: 'o1', version: 3 }));
    const r = await api.post<{ id: string; version: number }>('/api/orders/o1/assign', { driverId: 7 });
    expect(r).toEqual({ ok: true, status: 200, data: { id: 'o1', version: 3 } });
    expect(calls[0].init).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"driverId":7}' });
  });

  it("gives back the server's refusal: its status, code, message and body", async () => {
    const body = { error: { code: 'stale', message: 'changed meanwhile', order: { id: 'o1' } } };
    const { api } = client(() => json(409, body));
    expect(await api.post('/api/orders/o1/deliver', { version: 1 })).toEqual({ ok: false, status: 409, code: 'stale', message: 'changed meanwhile', body });
  });

  it('says when no answer came, and when the answer was not JSON', async () => {
    expect(await client(() => Promise.reject(new TypeError('Failed to fetch'))).api.get('/api/drivers')).toMatchObject({ ok: false, status: null });
    expect(await client(() => new Response('<html>bad gateway</html>', { status: 502 })).api.get('/api/figures')).toEqual({
      ok: false,
      status: 502,
      code: null,
      message: null,
      body: null,
    });
  });

  it('uploads a file as it is, with its own type', async () => {
    const { api, calls } = client(() => json(200, { ok: true }));
    const photo = new Blob(['jpeg'], { type: 'image/jpeg' });
    await api.upload('/api/orders/o1/photo', photo, 'image/jpeg');
    expect(calls[0].init).toMatchObject({ method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo });
  });
});

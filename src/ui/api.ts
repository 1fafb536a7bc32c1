/**
 * Calls to the listener's API with the bearer token the user typed (kept in sessionStorage:
 * this tab only, gone when it closes). A 401 raises Unauthorized, which sends the page
 * back to its token form.
 */
const TOKEN_KEY = 'uid-listener.token';

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const bearer = token.get();
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  const response = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized();
  return response;
}

/** The JSON body of a 2xx answer; an error answer becomes ApiError with its code and message. */
export async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, init);
  const body = await response.json().catch(() => null) as T & { error?: { code: string; message: string } } | null;
  if (!response.ok || body === null) {
    throw new ApiError(response.status, body?.error?.code ?? 'UID_ERR_HTTP_INTERNAL', body?.error?.message ?? `HTTP ${response.status}`);
  }
  return body;
}

export async function text(path: string): Promise<string> {
  const response = await request(path);
  if (!response.ok) throw new ApiError(response.status, 'UID_ERR_HTTP_INTERNAL', `HTTP ${response.status}`);
  return response.text();
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return json<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

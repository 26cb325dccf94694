/**
 * A hand-rolled OAuth client for testing the demo auth server over real HTTP: PKCE, dynamic
 * registration, authorization URLs, token requests, and a cookie jar so the interactive sign-in
 * can be driven with plain fetch.
 */
import { createHash, randomBytes } from 'node:crypto';

export const REDIRECT_URI = 'http://127.0.0.1:8976/callback';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  grant_types: string[];
  [key: string]: unknown;
}

export async function registerPublicClient(
  issuer: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; client: RegisteredClient }> {
  const res = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Test client',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
      ...extra,
    }),
  });
  return { status: res.status, client: (await res.json()) as RegisteredClient };
}

/** Authorization request parameters; pass `undefined` to leave a default out. */
export function authorizeUrl(
  issuer: string,
  params: Record<string, string | undefined> & { client_id: string },
): URL {
  const url = new URL(`${issuer}/auth`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'tickets:read',
    state: randomBytes(8).toString('hex'),
    ...params,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url;
}

/** The parameters of a redirect to our callback (code or error), or a failure explaining what came instead. */
export async function callbackParams(res: Response): Promise<URLSearchParams> {
  const location = res.headers.get('location');
  if (res.status < 300 || res.status >= 400 || !location) {
    throw new Error(
      `expected a redirect to the callback, got ${res.status}: ${(await res.text()).slice(0, 500)}`,
    );
  }
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== REDIRECT_URI)
    throw new Error(`redirect went elsewhere: ${location}`);
  return url.searchParams;
}

export interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  token_type?: string;
  error?: string;
  error_description?: string;
}

export async function tokenRequest(
  issuer: string,
  form: Record<string, string>,
): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** Just enough of a browser's cookie handling for one server: names, values and paths (RFC 6265 §5.1.4). */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const matching = [...this.#cookies].filter(([, c]) => pathMatches(target.pathname, c.path));
    if (matching.length) headers.set('cookie', matching.map(([name, c]) => `${name}=${c.value}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttribute = attributes
        .map((a) => a.trim())
        .find((a) => a.toLowerCase().startsWith('path='))
        ?.slice(5);
      const path = pathAttribute?.startsWith('/')
        ? pathAttribute
        : target.pathname.slice(0, Math.max(1, target.pathname.lastIndexOf('/')));
      if (!value || /expires=thu, 01 jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, { value, path });
    }
    return res;
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return (
    requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/')
  );
}

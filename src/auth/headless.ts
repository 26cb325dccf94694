/**
 * A headless "browser" for sign-in links: opens Parley's start link, presses its Continue button
 * (a POST, as the consent page's form does), and follows the redirects (keeping cookies per host,
 * as a browser would — the callback requires the binding cookie the start link set) until a page
 * answers — normally Parley's own `/oauth/callback`. It only works where the authorization server signs in without a person
 * (the demo auth server with AUTH_AUTO_APPROVE, the conformance suite's mock): the console uses it
 * when PARLEY_FOLLOW_SIGNIN_LINKS=1, and so do tests and the conformance client.
 */
import { START_PATH } from './start.js';

export interface FollowOptions {
  /** Redirects to follow at most. Default 10. */
  maxHops?: number;
  /** Stop (without fetching) at the first redirect whose URL starts with this, and return it. */
  stopAt?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** One browser's cookies (host → name → value), kept across calls; a fresh jar by default. */
  jar?: CookieJar;
}

export type CookieJar = Map<string, Map<string, string>>;

export interface FollowResult {
  /** The final page answered 2xx. */
  ok: boolean;
  status: number;
  /** The last URL reached (or the one stopped at). */
  url: string;
  /** The final page's text without markup, for messages and assertions. */
  text: string;
  hops: number;
  /** True when `stopAt` matched and that URL was not fetched. */
  stopped: boolean;
  /** The `Cookie` header this browser would send to `url` (the start link's binding cookie). */
  cookie: string;
}

export async function followSignInLink(start: string, options: FollowOptions = {}): Promise<FollowResult> {
  const doFetch = options.fetch ?? fetch;
  const maxHops = options.maxHops ?? 10;
  const jar: CookieJar = options.jar ?? new Map();
  let url = new URL(start);
  let method = 'GET';
  for (let hops = 0; ; hops++) {
    const cookies = jar.get(url.host);
    const res = await doFetch(url, {
      method,
      redirect: 'manual',
      headers: cookies?.size ? { cookie: cookieHeader(jar, url.host) } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    remember(jar, url.host, res.headers);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hops + 1 > maxHops) throw new Error(`the sign-in link redirected more than ${maxHops} times`);
      url = new URL(location, url);
      method = 'GET';
      if (options.stopAt && url.href.startsWith(options.stopAt))
        return {
          ok: true,
          status: res.status,
          url: url.href,
          text: '',
          hops: hops + 1,
          stopped: true,
          cookie: cookieHeader(jar, url.host),
        };
      continue;
    }
    const body = await res.text();
    // Parley's consent page (start.ts): press its button, once.
    if (res.status === 200 && method === 'GET' && url.pathname.startsWith(START_PATH) && hops < maxHops) {
      method = 'POST';
      continue;
    }
    return {
      ok: res.ok,
      status: res.status,
      url: url.href,
      text: body
        .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .replace(/\s+/g, ' ')
        .trim(),
      hops,
      stopped: false,
      cookie: cookieHeader(jar, url.host),
    };
  }
}

function cookieHeader(jar: Map<string, Map<string, string>>, host: string): string {
  return [...(jar.get(host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
}

function remember(jar: Map<string, Map<string, string>>, host: string, headers: Headers): void {
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const cookies = jar.get(host) ?? new Map<string, string>();
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    jar.set(host, cookies);
  }
}

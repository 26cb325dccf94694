/**
 * A headless "browser" for sign-in links: fetches the authorization URL and follows its redirects
 * (keeping cookies per host, as a browser would) until a page answers — normally Parley's own
 * `/oauth/callback`. It only works where the authorization server signs in without a person
 * (the demo auth server with AUTH_AUTO_APPROVE, the conformance suite's mock): the console uses it
 * when PARLEY_FOLLOW_SIGNIN_LINKS=1, and so do tests and the conformance client.
 */
export interface FollowOptions {
  /** Redirects to follow at most. Default 10. */
  maxHops?: number;
  /** Stop (without fetching) at the first redirect whose URL starts with this, and return it. */
  stopAt?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

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
}

export async function followSignInLink(start: string, options: FollowOptions = {}): Promise<FollowResult> {
  const doFetch = options.fetch ?? fetch;
  const maxHops = options.maxHops ?? 10;
  const jar = new Map<string, Map<string, string>>();
  let url = new URL(start);
  for (let hops = 0; ; hops++) {
    const cookies = jar.get(url.host);
    const res = await doFetch(url, {
      redirect: 'manual',
      headers: cookies?.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    remember(jar, url.host, res.headers);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hops + 1 > maxHops) throw new Error(`the sign-in link redirected more than ${maxHops} times`);
      url = new URL(location, url);
      if (options.stopAt && url.href.startsWith(options.stopAt))
        return { ok: true, status: res.status, url: url.href, text: '', hops: hops + 1, stopped: true };
      continue;
    }
    const body = await res.text();
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
    };
  }
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

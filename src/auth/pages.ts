/**
 * The small pages a person's browser shows at the end of a sign-in. Self-contained (no scripts,
 * no external resources) and sent with headers that keep the callback URL — it carries the
 * authorization code — out of referrers and caches.
 */
export const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
} as const;

/**
 * The consent page's headers: like {@link PAGE_HEADERS}, but its form may post to Parley and
 * follow Parley's redirect to `formTargets` (browsers apply `form-action` to that redirect too).
 */
export function consentHeaders(formTargets: string[]): Record<string, string> {
  return {
    ...PAGE_HEADERS,
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' ${formTargets.join(' ')}`,
  };
}

/**
 * The start link's page: says which chat user the account is being linked to, and a button that
 * posts back to `action` (a GET claims nothing, so link previews are harmless).
 */
export function consentPage(options: {
  title: string;
  host: string;
  linkedTo: string;
  action: string;
}): string {
  const heading = `Sign in to ${options.title}`;
  const body = `<p>You are linking your <strong>${escapeHtml(options.title)}</strong> account (at ${escapeHtml(options.host)}) to <strong>${escapeHtml(options.linkedTo)}</strong>.</p>
  <p>Parley will act as that chat user with your account. Continue only if that is you; if someone forwarded this link to you, close this tab.</p>
  <form method="post" action="${escapeHtml(options.action)}"><button type="submit" name="continue" value="1">Continue to ${escapeHtml(options.host)}</button></form>`;
  return page(heading, '#1f2328', '🔐', body, '');
}

export function resultPage(options: { ok: boolean; heading: string; message: string }): string {
  const colour = options.ok ? '#1a7f37' : '#b42318';
  const icon = options.ok ? '✅' : '⚠️';
  return page(
    options.heading,
    colour,
    icon,
    `<p>${escapeHtml(options.message)}</p>`,
    '<p class="hint">You can close this tab and go back to the chat.</p>',
  );
}

function page(heading: string, colour: string, icon: string, body: string, hint: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)} · Parley</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f6f7f9; color: #1f2328;
         display: flex; min-height: 100vh; margin: 0; align-items: center; justify-content: center; }
  main { background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); padding: 2rem 2.5rem;
         max-width: 32rem; }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; color: ${colour}; }
  p { line-height: 1.5; margin: .5rem 0; }
  .hint { color: #59636e; font-size: .9rem; }
  button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #1f6feb; background: #1f6feb; color: #fff; }
</style>
</head>
<body>
<main>
  <h1>${icon} ${escapeHtml(heading)}</h1>
  ${body}
  ${hint}
</main>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

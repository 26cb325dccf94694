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

export function resultPage(options: { ok: boolean; heading: string; message: string }): string {
  const colour = options.ok ? '#1a7f37' : '#b42318';
  const icon = options.ok ? '✅' : '⚠️';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.heading)} · Parley</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f6f7f9; color: #1f2328;
         display: flex; min-height: 100vh; margin: 0; align-items: center; justify-content: center; }
  main { background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); padding: 2rem 2.5rem;
         max-width: 32rem; }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; color: ${colour}; }
  p { line-height: 1.5; margin: .5rem 0; }
  .hint { color: #59636e; font-size: .9rem; }
</style>
</head>
<body>
<main>
  <h1>${icon} ${escapeHtml(options.heading)}</h1>
  <p>${escapeHtml(options.message)}</p>
  <p class="hint">You can close this tab and go back to the chat.</p>
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

/**
 * The HTML of the demo auth server: the sign-in/consent page, the calendar consent pages and error
 * pages. Plain template strings, no engine. Everything that comes from a request or a client
 * registration goes through {@link escapeHtml}; the pages carry no scripts, and the CSP header
 * set by the routes forbids them anyway.
 */
import type { Response } from 'express';
import type { DemoUser } from './users.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and in double- or single-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Pages must not be framed (clickjacking an Allow button) and need no scripts. No `form-action`:
 * browsers apply it to the redirect that follows a form post, and the sign-in form ends in a
 * redirect to the client's own callback.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/** Sends one of these pages under {@link PAGE_CSP}, never cached (they carry ids and decisions). */
export function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' })
    .type('html')
    .send(html);
}

const STYLE = `
  :root { color-scheme: light dark; --accent: #4f46e5; --muted: #6b7280; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { max-width: 28rem; width: 100%; padding: 2rem; box-sizing: border-box; }
  h1 { font-size: 1.35rem; margin: 0 0 1rem; }
  p.muted, small { color: var(--muted); }
  ul.scopes { padding-left: 1.2rem; }
  code { font-size: 0.9em; overflow-wrap: anywhere; }
  fieldset { border: 1px solid #d1d5db; border-radius: 8px; margin: 1rem 0; padding: 0.5rem 1rem; }
  label { display: block; padding: 0.35rem 0; cursor: pointer; }
  .actions { display: flex; gap: 0.75rem; margin-top: 1.25rem; }
  button { font: inherit; padding: 0.55rem 1.2rem; border-radius: 6px; border: 1px solid var(--accent); cursor: pointer; }
  button.primary { background: var(--accent); color: white; }
  button.secondary { background: transparent; color: var(--accent); }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** What the sign-in page shows about the pending authorization request. */
export interface SignInPageModel {
  /** The interaction id: the form posts to `/interaction/<uid>/confirm`. */
  uid: string;
  clientName: string;
  /** The MCP server(s) the token will be for. */
  resources: string[];
  /** Requested scopes with their description (unknown ones are listed as-is). */
  scopes: Array<{ name: string; description: string | undefined }>;
  users: readonly DemoUser[];
  /** Pre-selected account, if the request carried a known `login_hint`. */
  selectedUser?: string | undefined;
}

/** The page where a person picks a demo user and allows (or denies) the requested access. */
export function signInPage(model: SignInPageModel): string {
  const users = model.users
    .map(
      (user) =>
        `<label><input type="radio" name="user" value="${escapeHtml(user.id)}" required${
          user.id === model.selectedUser ? ' checked' : ''
        }> <strong>${escapeHtml(user.name)}</strong> <small>(${escapeHtml(user.id)})</small></label>`,
    )
    .join('\n');
  const scopes = model.scopes.length
    ? `<ul class="scopes">${model.scopes
        .map(
          (s) =>
            `<li>${s.description ? `${escapeHtml(s.description)} ` : ''}<code>${escapeHtml(s.name)}</code></li>`,
        )
        .join('')}</ul>`
    : '<p class="muted">No specific permissions were requested.</p>';
  const resources = model.resources.length
    ? `<p class="muted">For: ${model.resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ')}</p>`
    : '';
  return layout(
    'Sign in · Parley demo',
    `<h1>Sign in to the Parley demo</h1>
<p><strong>${escapeHtml(model.clientName)}</strong> wants to:</p>
${scopes}
${resources}
<form method="post" action="/interaction/${encodeURIComponent(model.uid)}/confirm">
<fieldset>
<legend>Continue as</legend>
${users}
</fieldset>
<div class="actions">
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>
<p class="muted"><small>Demo accounts only: there are no passwords.</small></p>`,
  );
}

/** The third-party-style consent page for `connect_calendar`. */
export function calendarConsentPage(elicitationId: string): string {
  return layout(
    'Connect your calendar · Parley demo',
    `<h1>Parley Demo Tickets wants to read your calendar</h1>
<p>It will see the times and titles of your events. You can change your mind later.</p>
<form method="post" action="/calendar/connect">
<input type="hidden" name="elicitation_id" value="${escapeHtml(elicitationId)}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="muted"><small>Request <code>${escapeHtml(elicitationId)}</code></small></p>`,
  );
}

/** Shown once a calendar decision is recorded (or was already). */
export function calendarDonePage(status: 'approved' | 'denied'): string {
  const headline = status === 'approved' ? 'Calendar connected' : 'Calendar access denied';
  return layout(
    `${headline} · Parley demo`,
    `<h1>${headline}</h1>
<p>You can return to the chat.</p>`,
  );
}

/** A plain error page: one sentence for the person, the error code for whoever debugs it. */
export function errorPage(title: string, message: string, code?: string): string {
  return layout(
    `${title} · Parley demo`,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${code ? `<p class="muted"><small>Error code: <code>${escapeHtml(code)}</code></small></p>` : ''}`,
  );
}

/** The landing page at `/`: what this server is and where its endpoints are. */
export function homePage(model: {
  issuer: string;
  resources: readonly string[];
  autoApprove: string | undefined;
}): string {
  const link = (path: string) =>
    `<li><a href="${escapeHtml(path)}"><code>${escapeHtml(path)}</code></a></li>`;
  return layout(
    'Parley demo auth server',
    `<h1>Parley demo auth server</h1>
<p>An OAuth 2.1 authorization server for the Parley demo. Issuer: <code>${escapeHtml(model.issuer)}</code></p>
<p>Accepted resources: ${model.resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ') || 'none'}</p>
<p>Auto-approve: ${model.autoApprove ? `<strong>on, as ${escapeHtml(model.autoApprove)}</strong>` : 'off'}</p>
<ul>
${link('/.well-known/oauth-authorization-server')}
${link('/.well-known/openid-configuration')}
${link('/jwks')}
</ul>`,
  );
}

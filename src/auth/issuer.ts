/**
 * Which authorization server Parley will trust for an MCP server. The SDK's own RFC 8414 §3.3
 * check is turned off on Parley's transports (`skipIssuerMetadataValidation`) because it only
 * forgives a trailing `/` in one direction: protected-resource metadata naming
 * `https://as.example` while the authorization server's metadata says `https://as.example/` — as
 * some hosted identity providers publish it — made people see a raw "Issuer mismatch" error.
 * Every Parley provider runs {@link checkDiscoveredIssuer} from `saveDiscoveryState`, which the
 * SDK calls right after discovery and before any client registration, credential or token
 * request, so a mismatch still stops the flow before anything is sent.
 */
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client';
import { ParleyError } from '../errors.js';

/**
 * Whether two issuer identifiers name the same authorization server: equal, or equal but for one
 * trailing `/` on either side (RFC 8414 §3.3 requires identical strings; a URL library turning
 * `https://as.example` into `https://as.example/` is the one difference real servers show).
 */
export function issuersMatch(a: string, b: string): boolean {
  return a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

/** What the person reads when a server's sign-in server is not the one it should be. */
export function issuerRefusedSentence(title: string): string {
  return `I stopped signing in to ${title} because its sign-in server didn’t identify itself as the one ${title} names; ask whoever runs ${title} to check its OAuth settings.`;
}

/** Raised when discovered metadata names an authorization server Parley must not trust. */
export class IssuerRefusedError extends ParleyError {
  constructor(title: string, detail: string) {
    super('auth_failed', issuerRefusedSentence(title), { detail });
  }
}

/**
 * Checks the authorization server metadata the SDK discovered for `serverUrl`:
 * - the protected resource metadata (RFC 9728) named the authorization server: the metadata's
 *   `issuer` must be that URL (RFC 8414 §3.3), a trailing `/` either way aside;
 * - no protected resource metadata (the 2025-03-26 authorization spec, "Authorization Server
 *   Discovery"): the metadata came from the MCP server's own origin, which is the authorization
 *   base URL, so its `issuer` must have that origin (its path may differ, e.g. `/oauth`);
 * - no metadata at all: nothing to check (the default `/authorize`, `/token`, `/register` at the
 *   MCP server's origin are used).
 *
 * @throws {IssuerRefusedError} (code `auth_failed`) on a mismatch.
 */
export function checkDiscoveredIssuer(serverUrl: string, title: string, state: OAuthDiscoveryState): void {
  const issuer = state.authorizationServerMetadata?.issuer;
  if (issuer === undefined) return;
  const named = state.resourceMetadata?.authorization_servers?.length
    ? state.authorizationServerUrl
    : undefined;
  if (named !== undefined) {
    if (!issuersMatch(named, issuer))
      throw new IssuerRefusedError(title, `issuer ${issuer} is not the authorization server ${named}`);
    return;
  }
  const origin = new URL(serverUrl).origin;
  if (URL.parse(issuer)?.origin !== origin)
    throw new IssuerRefusedError(title, `issuer ${issuer} is not at the MCP server's origin ${origin}`);
}

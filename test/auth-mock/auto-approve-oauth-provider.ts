/**
 * An `OAuthClientProvider` for end-to-end tests against the demo auth server in auto-approve mode.
 *
 * Everything lives in memory. "Redirecting the user" means fetching the authorization URL: the
 * auth server answers with one redirect to our callback URL (nobody listens there), and the
 * provider keeps the callback's query for {@link signedIn} to hand to `transport.finishAuth`, the
 * way a real callback handler would after checking `state`.
 */
import { randomUUID } from 'node:crypto';
import {
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  type StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';

export class AutoApproveOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:8977/callback';
  readonly clientMetadata: OAuthClientMetadata = {
    client_name: 'Parley OAuth flow test',
    redirect_uris: [this.redirectUrl],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };

  /** Every authorization URL the SDK sent the "user" to, in order. */
  readonly authorizations: URL[] = [];
  readonly #clients = new Map<string, StoredOAuthClientInformation>();
  #tokens: StoredOAuthTokens | undefined;
  #verifier: string | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  #state: string | undefined;
  #callback: URLSearchParams | undefined;

  /** Registered clients by issuer. */
  get registrations(): ReadonlyMap<string, StoredOAuthClientInformation> {
    return this.#clients;
  }

  clientInformation(ctx?: OAuthClientInformationContext): StoredOAuthClientInformation | undefined {
    return ctx ? this.#clients.get(ctx.issuer) : undefined;
  }

  saveClientInformation(info: StoredOAuthClientInformation, ctx?: OAuthClientInformationContext): void {
    if (ctx) this.#clients.set(ctx.issuer, info);
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.#tokens = tokens;
  }

  state(): string {
    this.#state = randomUUID();
    return this.#state;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error('no PKCE code verifier saved');
    return this.#verifier;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizations.push(url);
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`authorization did not redirect (${res.status}): ${(await res.text()).slice(0, 300)}`);
    }
    const callback = new URL(location);
    if (`${callback.origin}${callback.pathname}` !== this.redirectUrl) {
      throw new Error(`authorization redirected somewhere else: ${location}`);
    }
    // The SDK does not check state; a callback handler must.
    if (callback.searchParams.get('state') !== this.#state) throw new Error('state mismatch on the callback');
    const error = callback.searchParams.get('error');
    if (error)
      throw new Error(`authorization failed: ${error} ${callback.searchParams.get('error_description')}`);
    this.#callback = callback.searchParams;
  }

  /** The callback query of the last authorization, once. */
  takeCallback(): URLSearchParams {
    const callback = this.#callback;
    if (!callback) throw new Error('no authorization callback is pending');
    this.#callback = undefined;
    return callback;
  }
}

/**
 * Runs `call`; when the SDK stops it for a sign-in (401, or 403 insufficient_scope step-up),
 * finishes the authorization on the transport and runs it again, a bounded number of times.
 */
export async function signedIn<T>(
  transport: StreamableHTTPClientTransport,
  provider: AutoApproveOAuthProvider,
  call: () => Promise<T>,
  maxSignIns = 2,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || attempt >= maxSignIns) throw err;
      await transport.finishAuth(provider.takeCallback());
    }
  }
}

/**
 * Sign-in for an entry point: from the parsed environment to a ready {@link SignInService}. The
 * secret is loaded (or generated into PARLEY_SECRET_FILE) only when some server uses OAuth.
 */
import type { Env, ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { usesSignIn } from './provider.js';
import { loadSignInSecret } from './secret.js';
import { SignInService } from './signin.js';
import type { PlatformVerifier } from './start.js';

export interface CreateSignInOptions {
  env: Pick<
    Env,
    | 'PARLEY_SECRET'
    | 'PARLEY_SECRET_FILE'
    | 'PARLEY_CLIENT_METADATA_URL'
    | 'PENDING_TTL_SECONDS'
    | 'PARLEY_SECRET_PREVIOUS'
  >;
  servers: ServerConfig[];
  store: Store;
  logger: Logger;
  /** PUBLIC_BASE_URL; a function when the port is known only once the HTTP server listens. */
  publicBaseUrl: string | (() => string);
  /** Where a relative PARLEY_SECRET_FILE lives. Default: the working directory. */
  cwd?: string;
  /** Platform checks of the browser's user for sign-in links (adapters supply them). */
  verifiers?: PlatformVerifier[];
}

/** Undefined when no configured server signs in (then nothing is generated or stored). */
export function createSignIn(options: CreateSignInOptions): SignInService | undefined {
  if (!options.servers.some(usesSignIn)) return undefined;
  const { env, logger } = options;
  const { secret } = loadSignInSecret({
    secret: env.PARLEY_SECRET,
    file: env.PARLEY_SECRET_FILE,
    logger,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  return new SignInService({
    store: options.store,
    secret,
    ...(env.PARLEY_SECRET_PREVIOUS && { previousSecrets: [env.PARLEY_SECRET_PREVIOUS] }),
    servers: options.servers,
    publicBaseUrl: options.publicBaseUrl,
    logger,
    // A sign-in link lives as long as any other pending interaction (its paused turn waits as long).
    flowTtlMs: env.PENDING_TTL_SECONDS * 1000,
    clientMetadataUrl: env.PARLEY_CLIENT_METADATA_URL,
    ...(options.verifiers && { verifiers: options.verifiers }),
  });
}

/**
 * Sealing and sign-in for an entry point: from the parsed environment to the deployment's one
 * sealing key ({@link createSecretBox}) and a ready {@link SignInService}. The composition root
 * asks for the key when anything it runs keeps usable secrets in the store — a server that signs
 * people in, a chat platform (reply tokens, response URLs), a shared Redis — and only then is a
 * secret generated into PARLEY_SECRET_FILE.
 */
import type { Env, ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { SecretBox } from './crypto.js';
import { usesSignIn } from './provider.js';
import { loadSignInSecret } from './secret.js';
import { SignInService } from './signin.js';
import type { PlatformVerifier } from './start.js';

type SecretEnv = Pick<Env, 'PARLEY_SECRET' | 'PARLEY_SECRET_FILE' | 'PARLEY_SECRET_PREVIOUS'>;

export interface CreateSignInOptions {
  env: Pick<Env, 'PARLEY_CLIENT_METADATA_URL' | 'PENDING_TTL_SECONDS'> & SecretEnv;
  servers: ServerConfig[];
  store: Store;
  logger: Logger;
  /** PUBLIC_BASE_URL; a function when the port is known only once the HTTP server listens. */
  publicBaseUrl: string | (() => string);
  /** Where a relative PARLEY_SECRET_FILE lives. Default: the working directory. */
  cwd?: string;
  /** Platform checks of the browser's user for sign-in links (adapters supply them). */
  verifiers?: PlatformVerifier[];
  /** The deployment's sealing key, when the caller made it already ({@link createSecretBox}). */
  box?: SecretBox;
}

/**
 * The sealing key: PARLEY_SECRET (with PARLEY_SECRET_PREVIOUS still opening what it sealed), or
 * the secret kept in PARLEY_SECRET_FILE, generated there on first use (mode 0600). A generated file
 * is private to this machine: processes sharing a store must set PARLEY_SECRET instead (the
 * composition root refuses a shared Redis without it). Throws `config_invalid` when the file can't
 * be read or written.
 */
export function createSecretBox(options: { env: SecretEnv; logger: Logger; cwd?: string }): SecretBox {
  const { env } = options;
  const { secret } = loadSignInSecret({
    secret: env.PARLEY_SECRET,
    file: env.PARLEY_SECRET_FILE,
    logger: options.logger,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  return new SecretBox(secret, env.PARLEY_SECRET_PREVIOUS ? [env.PARLEY_SECRET_PREVIOUS] : []);
}

/** Undefined when no configured server signs in (then nothing is generated or stored). */
export function createSignIn(options: CreateSignInOptions): SignInService | undefined {
  if (!options.servers.some(usesSignIn)) return undefined;
  const { env, logger } = options;
  return new SignInService({
    store: options.store,
    box:
      options.box ?? createSecretBox({ env, logger, ...(options.cwd !== undefined && { cwd: options.cwd }) }),
    servers: options.servers,
    publicBaseUrl: options.publicBaseUrl,
    logger,
    // A sign-in link lives as long as any other pending interaction (its paused turn waits as long).
    flowTtlMs: env.PENDING_TTL_SECONDS * 1000,
    clientMetadataUrl: env.PARLEY_CLIENT_METADATA_URL,
    ...(options.verifiers && { verifiers: options.verifiers }),
  });
}

/**
 * Where Parley's sealing key comes from (sign-in tokens, chat reply tokens, pending links: see
 * setup.ts). PARLEY_SECRET wins; otherwise the embedded default keeps a generated secret in a file
 * (`.parley/secret` in the working directory, mode 0600) and says where, so what was sealed stays
 * readable across restarts without anyone having to configure a key. The secret itself is never
 * logged.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MIN_SECRET_LENGTH, randomToken } from './crypto.js';

export const DEFAULT_SECRET_FILE = '.parley/secret';

export interface SignInSecret {
  secret: string;
  /** Where it came from, for the start-up banner: never the value. */
  source: 'PARLEY_SECRET' | 'file' | 'generated';
  path?: string;
}

export function loadSignInSecret(options: {
  /** PARLEY_SECRET, as the config parsed it (its length is checked there and by SecretBox). */
  secret?: string | undefined;
  /** PARLEY_SECRET_FILE; relative paths are resolved against `cwd`. */
  file?: string | undefined;
  cwd?: string;
  logger?: Logger;
}): SignInSecret {
  if (options.secret) {
    return { secret: options.secret, source: 'PARLEY_SECRET' };
  }
  const path = resolve(options.cwd ?? process.cwd(), options.file ?? DEFAULT_SECRET_FILE);
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    // Nothing else checks the file's contents before SecretBox, whose error says less than this.
    if (secret.length < MIN_SECRET_LENGTH)
      throw new ParleyError(
        'config_invalid',
        `The sign-in secret in ${path} is too short (at least ${MIN_SECRET_LENGTH} characters). Delete the file to generate a new one (everyone signs in again), or set PARLEY_SECRET.`,
      );
    options.logger?.info({ path }, 'sign-in secret read from file');
    return { secret, source: 'file', path };
  }
  const secret = randomToken(32);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // `wx`: never overwrite a secret another process has just written.
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSignInSecret(options);
    throw new ParleyError(
      'config_invalid',
      `I couldn't write a new sign-in secret to ${path}. Set PARLEY_SECRET, or PARLEY_SECRET_FILE to a writable path.`,
      { cause: err },
    );
  }
  options.logger?.warn(
    { path },
    'generated Parley’s secret (seals stored sign-in tokens, chat reply tokens and links); keep this file, or set PARLEY_SECRET, or everyone must sign in again. Processes sharing a store need one PARLEY_SECRET instead',
  );
  return { secret, source: 'generated', path };
}

/**
 * Encryption at rest for sign-in state (tokens, client secrets, PKCE verifiers) and for every other
 * value a reader of the store could use (chat reply tokens, pending links: the {@link Sealer}
 * port). AES-256-GCM with a key derived from PARLEY_SECRET; every value is bound to the store key
 * it is written under (additional authenticated data), so a ciphertext copied to another person's
 * key does not decrypt there.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Sealer } from '../store/sealed.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The shortest sign-in secret accepted (PARLEY_SECRET, the secret file, {@link SecretBox}). */
export const MIN_SECRET_LENGTH = 16;

function deriveKey(secret: string): Buffer {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new Error(`the sign-in secret must be at least ${MIN_SECRET_LENGTH} characters long`);
  return Buffer.from(hkdfSync('sha256', secret, 'parley', 'parley sign-in store v1', 32));
}

/**
 * Seals with one 256-bit key; opens with it or with the keys of previous secrets (rotation:
 * PARLEY_SECRET_PREVIOUS), so values sealed before a rotation stay readable until re-sealed.
 */
export class SecretBox implements Sealer {
  readonly #key: Buffer;
  readonly #previous: Buffer[];

  /**
   * `secret` and each of `previous` are strings of at least 16 characters; keys are derived with
   * HKDF-SHA256 (RFC 5869). Throws when one is shorter.
   */
  constructor(secret: string, previous: string[] = []) {
    this.#key = deriveKey(secret);
    this.#previous = previous.filter((p) => p !== secret).map(deriveKey);
  }

  /** `aad` is what the value belongs to (its store key); opening with another `aad` fails. */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or undefined when the value is not ours (other key, other `aad`, tampered). */
  open(sealed: string, aad: string): string | undefined {
    return this.openDetailed(sealed, aad)?.plaintext;
  }

  /**
   * Like {@link open}, and says whether the current key opened it: `stale` means a previous
   * secret's key did, and the value should be sealed again with the current one.
   */
  openDetailed(sealed: string, aad: string): { plaintext: string; stale: boolean } | undefined {
    const current = openWith(this.#key, sealed, aad);
    if (current !== undefined) return { plaintext: current, stale: false };
    for (const key of this.#previous) {
      const old = openWith(key, sealed, aad);
      if (old !== undefined) return { plaintext: old, stale: true };
    }
    return undefined;
  }
}

function openWith(key: Buffer, sealed: string, aad: string): string | undefined {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}

/** A one-way digest for values that must be looked up but never stored (OAuth `state`). */
export function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** An unguessable token for `state`, leases and the like. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

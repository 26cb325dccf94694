/**
 * Encryption at rest for sign-in state (tokens, client secrets, PKCE verifiers). AES-256-GCM with
 * a key derived from PARLEY_SECRET; every value is bound to the store key it is written under
 * (additional authenticated data), so a ciphertext copied to another person's key does not
 * decrypt there.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The shortest sign-in secret accepted (PARLEY_SECRET, the secret file, {@link SecretBox}). */
export const MIN_SECRET_LENGTH = 16;

/** Seals and opens strings with one 256-bit key. */
export class SecretBox {
  readonly #key: Buffer;

  /** `secret` is any string of at least 16 characters; the key is derived from it with HKDF. */
  constructor(secret: string) {
    if (secret.length < MIN_SECRET_LENGTH)
      throw new Error(`the sign-in secret must be at least ${MIN_SECRET_LENGTH} characters long`);
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'parley', 'parley sign-in store v1', 32));
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
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
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
}

/** A one-way digest for values that must be looked up but never stored (OAuth `state`). */
export function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** An unguessable token for `state`, leases and the like. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Discord signs every request to an HTTP interactions endpoint with the application's Ed25519 key:
 * `X-Signature-Ed25519` is the signature of `X-Signature-Timestamp + raw body`. Requests that
 * don't verify are refused (Discord itself sends bad signatures to check that we do), and so are
 * signed requests whose timestamp is more than five minutes off, so a captured one can't be replayed
 * later.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { ParleyError } from '../../src/errors.js';

/** The application's public key as Discord shows it (64 hex characters). */
export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new ParleyError(
      'config_invalid',
      'DISCORD_PUBLIC_KEY must be the 64 hex characters shown in the Discord developer portal.',
    );
  const x = Buffer.from(hex, 'hex').toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

export function verifySignature(
  key: KeyObject,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  try {
    return verify(null, Buffer.concat([Buffer.from(timestamp), body]), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

/** How far a request's `X-Signature-Timestamp` may be from the clock. */
const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

/** True when `timestamp` (Unix seconds) is within five minutes of `nowMs`. */
export function freshTimestamp(timestamp: string | undefined, nowMs: number): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs - Number(timestamp) * 1000) <= TIMESTAMP_TOLERANCE_MS;
}

/**
 * The sealing key tests give adapters and agents (what PARLEY_SECRET is in a deployment). Every
 * SecretBox made from it opens what another sealed, as processes sharing one secret do.
 */
import { SecretBox } from '../../src/auth/crypto.js';

export const TEST_SEALING_SECRET = 'test-sealing-secret-0123456789abcdef';

export function testSealer(): SecretBox {
  return new SecretBox(TEST_SEALING_SECRET);
}

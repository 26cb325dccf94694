/**
 * The README's and `.env.example`'s promises about the environment, read as a newcomer reads
 * them: every variable Parley reads is listed with its default, each once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMAS } from '../../adapters/main/env-schemas.js';
import { storeEnvSchema } from '../../src/store/config.js';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const example = readFileSync(join(root, '.env.example'), 'utf8');

describe('the environment as documented', () => {
  it('.env.example lists the store’s variables (Redis Cluster, Sentinel, credentials, TLS)', () => {
    // README: ".env.example lists every variable with its default (a test keeps it in step with
    // the schemas)" — but the store's schema (src/store/config.ts) was not among those schemas.
    const missing = Object.keys(storeEnvSchema.shape).filter(
      (name) => !new RegExp(`^#?\\s*${name}=`, 'm').test(example),
    );
    expect(missing).toEqual([]);
    expect(Object.values(ENV_SCHEMAS)).toContain(storeEnvSchema);
  });

  it('the Configuration table lists each variable once', () => {
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Development'));
    const rows = section
      .split('\n')
      .map((line) => /^\| `([A-Z][A-Z0-9_]*)`/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(rows.filter((name, i) => rows.indexOf(name) !== i)).toEqual([]);
  });
});

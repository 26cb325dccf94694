/**
 * `npm run config:schema`: writes the JSON Schema of `parley.config.json`, generated from the zod
 * schema that parses it, to src/parley.config.schema.json (editors validate through `$schema`).
 * A test fails when the committed file and the zod schema disagree.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { configJsonSchema } from '../../src/config.js';

export const CONFIG_SCHEMA_FILE = new URL('../../src/parley.config.schema.json', import.meta.url);

export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

// Run only as the entry point, so the test can import the text.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CONFIG_SCHEMA_FILE, configSchemaText());
  process.stdout.write(`Wrote ${CONFIG_SCHEMA_FILE.pathname}\n`);
}

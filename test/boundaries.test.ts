/**
 * The hexagon's rule, checked: the core (`src/`) imports no adapter, no demo server and no entry
 * point. Adapters depend on the core, never the other way round.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SENTENCES } from '../src/interactions/answers.js';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const importsOf = (file: string) =>
  [
    ...readFileSync(file, 'utf8').matchAll(
      /(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ].map((m) => (m[1] ?? m[2]) as string);

describe('module boundaries', () => {
  it('src/ never imports adapters/, mcp-server/ or auth-mock/', () => {
    const offenders: string[] = [];
    const files = sources(join(root, 'src'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (/(^|\/)(adapters|mcp-server|auth-mock)\//.test(spec))
          offenders.push(`${relative(root, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('an adapter never imports another adapter (main, the composition root, wires them all)', () => {
    const offenders: string[] = [];
    for (const adapter of readdirSync(join(root, 'adapters')).filter(
      (a) => a !== 'main' && statSync(join(root, 'adapters', a)).isDirectory(),
    )) {
      for (const file of sources(join(root, 'adapters', adapter))) {
        for (const spec of importsOf(file)) {
          const other = /\.\.\/(console|slack|discord)\//.exec(spec)?.[1];
          if (other && other !== adapter) offenders.push(`${relative(root, file)} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('adapters decide nothing the core decides: no validation, owner checks or answer routing', () => {
    // The core's decisions stay behind the inbound port (src/inbound.ts); an adapter that imports
    // these has started repeating them.
    const decisions = /\b(validateSubmission|sameActor|PendingStore|AnswerDesk|Delivery)\b/;
    const offenders: string[] = [];
    for (const adapter of readdirSync(join(root, 'adapters')).filter(
      (a) => a !== 'main' && statSync(join(root, 'adapters', a)).isDirectory(),
    )) {
      for (const file of sources(join(root, 'adapters', adapter))) {
        const imports = readFileSync(file, 'utf8').match(/^import[^;]*;/gms) ?? [];
        for (const line of imports)
          if (decisions.test(line)) offenders.push(`${relative(root, file)}: ${line.replace(/\s+/g, ' ')}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('adapters contain none of the core’s sentences to people', () => {
    const offenders: string[] = [];
    for (const file of sources(join(root, 'adapters'))) {
      const text = readFileSync(file, 'utf8');
      for (const sentence of Object.values(SENTENCES))
        if (text.includes(sentence)) offenders.push(`${relative(root, file)}: “${sentence}”`);
    }
    expect(offenders).toEqual([]);
  });
});

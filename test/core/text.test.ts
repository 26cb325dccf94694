import { describe, expect, it } from 'vitest';
import { hostOf, repairTypedJson, safeUrl, splitText, truncate } from '../../src/text.js';

describe('splitText and truncate', () => {
  it('leaves short text alone', () => {
    expect(splitText('hello', 2000)).toEqual(['hello']);
  });

  it('splits at paragraphs and lines, keeps every word, and closes and reopens code fences', () => {
    const code = ['```py', ...Array.from({ length: 120 }, (_, i) => `print(${i})  # line ${i}`), '```'].join(
      '\n',
    );
    const text = ['Intro paragraph.', 'word '.repeat(500).trim(), code, 'The end.'].join('\n\n');
    const parts = splitText(text, 2000);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect((p.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const joined = parts.join('\n');
    for (let i = 0; i < 120; i++) expect(joined).toContain(`print(${i})  # line ${i}`);
    expect(joined.match(/word/g)?.length).toBe(500);
    expect(parts.at(-1)).toMatch(/The end\.$/);
    // A part that continues a code block reopens it with its language.
    expect(parts.slice(1).some((p) => p.startsWith('```py\n'))).toBe(true);
  });

  it('keeps a bare fence balanced across many parts, and the indentation of the lines after a cut', () => {
    const code = [
      '```',
      ...Array.from({ length: 300 }, (_, i) => `    line ${i} ${'y'.repeat(20)}`),
      '```',
    ].join('\n');
    const chunks = splitText(`Intro.\n\n${code}\n\nOutro.`, 2000);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
    for (const c of chunks.slice(1, -1)) expect(c).toMatch(/^```\n {4}line \d+/);
  });

  it('cuts a single unbroken run of characters hard, never inside a surrogate pair', () => {
    const parts = splitText('x'.repeat(4500), 2000);
    expect(parts.map((p) => p.length)).toEqual([1996, 1996, 508]);
    const emoji = splitText('😀'.repeat(1500), 2000);
    expect(emoji.join('')).toBe('😀'.repeat(1500));
    for (const p of emoji) expect(p).toMatch(/^(😀)+$/u);
  });

  it('truncates with an ellipsis and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('short', 24)).toBe('short');
    expect(truncate('A very long form title', 8)).toBe('A very…');
  });
});

describe('repairTypedJson', () => {
  it('leaves JSON that parses exactly as typed, apostrophes in values included', () => {
    expect(repairTypedJson('{"name":"Amy’s desk"}')).toBe('{"name":"Amy’s desk"}');
    expect(repairTypedJson('{"quote":"“hi”"}')).toBe('{"quote":"“hi”"}');
  });

  it('straightens the curly double quotes a chat app put around keys and strings', () => {
    expect(JSON.parse(repairTypedJson('{“name”:“Amy’s desk”}'))).toEqual({ name: 'Amy’s desk' });
  });
});

describe('links', () => {
  it('accepts only http(s) URLs and names their host', () => {
    expect(safeUrl('https://example.com/x')).toBe(true);
    expect(safeUrl('javascript:alert(1)')).toBe(false);
    expect(safeUrl('not a url')).toBe(false);
    expect(hostOf('http://127.0.0.1:9000/auth?x=1')).toBe('127.0.0.1:9000');
    expect(hostOf('nope')).toBe('');
  });
});

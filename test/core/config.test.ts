import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseServersFile } from '../../src/config.js';

describe('config', () => {
  it('defaults to the demo MCP server and an in-memory store', () => {
    const cfg = loadConfig({}, { cwd: mkdtempSync(join(tmpdir(), 'parley-cfg-')) });
    expect(cfg.servers).toEqual([
      expect.objectContaining({ name: 'demo', url: 'http://127.0.0.1:3001/mcp' }),
    ]);
    expect(cfg.env.REDIS_URL).toBeUndefined();
    expect(cfg.env.PENDING_TTL_SECONDS).toBe(900);
    expect(cfg.env.MCP_REQUEST_TIMEOUT_MS).toBe(600_000);
  });

  it('names the bad environment variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'not a url' })).toThrow(/OPENAI_BASE_URL/);
  });

  it('reads PARLEY_CONFIG and names the bad field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    writeFileSync(
      join(dir, 'good.json'),
      JSON.stringify({
        servers: [{ name: 'files', command: 'node', args: ['x.js'], tools: { deny: ['rm'] } }],
      }),
    );
    const cfg = loadConfig({ PARLEY_CONFIG: 'good.json' }, { cwd: dir });
    expect(cfg.servers[0]).toMatchObject({
      name: 'files',
      command: 'node',
      confirm: 'destructive',
      tools: { deny: ['rm'] },
    });

    expect(() =>
      parseServersFile(JSON.stringify({ servers: [{ name: 'ok', url: 'nope' }] }), 'cfg.json'),
    ).toThrow(/cfg\.json is invalid: servers\[0\]/);
    expect(() =>
      parseServersFile(JSON.stringify({ servers: [{ name: 'Bad Name', url: 'http://x/mcp' }] }), 'cfg.json'),
    ).toThrow(/servers\[0\]\.name/);
    expect(() => parseServersFile('{', 'cfg.json')).toThrow(/not valid JSON/);
    expect(() => loadConfig({ PARLEY_CONFIG: 'missing.json' }, { cwd: dir })).toThrow(/does not exist/);
  });
});

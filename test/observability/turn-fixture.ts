/**
 * A whole Parley (startParley: console adapter, real agent, memory store, metrics endpoint) with
 * the scripted OpenAI-compatible LLM and a small real MCP server whose `echo` tool records the
 * request `_meta` it received. One plain-language turn: the model calls `tools__echo`, the
 * person confirms it (the server is configured `confirm: always`), the model answers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { z } from 'zod';
import { type RunningParley, startParley } from '../../adapters/main/parley.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

export interface TurnFixture {
  parley: RunningParley;
  llm: ScriptedLlm;
  transcript: () => string;
  /** `_meta` of each tools/call the MCP server received. */
  metas: Array<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export async function runScriptedToolTurn(env: Record<string, string> = {}): Promise<TurnFixture> {
  const metas: Array<Record<string, unknown> | undefined> = [];
  const mcp = await startMiniMcp('observed', (server) => {
    server.registerTool(
      'echo',
      { description: 'Echoes a message', inputSchema: z.object({ message: z.string() }) },
      async ({ message }, ctx) => {
        metas.push((ctx as { mcpReq?: { _meta?: Record<string, unknown> } }).mcpReq?._meta);
        return { content: [{ type: 'text', text: `echo: ${message}` }] };
      },
    );
  });
  const llm = await startScriptedLlm([
    { toolCalls: [{ name: 'tools__echo', arguments: { message: 'observed' } }] },
    (req) => ({ content: `The tool said: ${req.messages.at(-1)?.content}` }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'parley-obs-'));
  const config = join(dir, 'parley.config.json');
  writeFileSync(config, JSON.stringify({ servers: [{ name: 'tools', url: mcp.url, confirm: 'always' }] }));
  let transcript = '';
  const input = new PassThrough();
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      transcript += chunk.toString();
      done();
    },
  });
  const parley = await startParley({
    env: {
      PARLEY_CONFIG: config,
      PARLEY_CONSOLE: '1',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_MODEL: 'scripted',
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      ...env,
    },
    input,
    output,
    ephemeralPorts: true,
  });
  input.write('please echo something\n');
  input.write('y\n');
  input.end('/quit\n');
  await parley.done;
  return {
    parley,
    llm,
    transcript: () => transcript,
    metas,
    async close() {
      await parley.stop();
      await llm.close();
      await mcp.close();
    },
  };
}

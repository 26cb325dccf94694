/**
 * Bad input on Discord, end to end: a real MCP server asks for fields named like Object.prototype
 * members, over two modal pages (answers kept between pages in the store), and every answer
 * reaches it. The fake checks every payload against Discord's limits.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serverSchema } from '../../src/config.js';
import { RedisStore } from '../../src/store/index.js';
import { buttonLabels, type DiscordWorld, modalInputs, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
/** As a server sends it: JSON, so "__proto__" is an own key. */
const schemaJson = `{"type":"object","properties":{${NAMES.map((n) => `"${n}":{"type":"string"}`).join(',')}},"required":${JSON.stringify(NAMES)}}`;

let mini: { url: string; close(): Promise<void> };
let store: RedisStore;
let w: DiscordWorld;

beforeAll(async () => {
  mini = await startMiniMcp('proto', (server) => {
    server.registerTool('proto_form', { inputSchema: z.object({}) }, async (_args, ctx) => {
      const answer = ctx.mcpReq.inputResponses?.q as { content?: object } | undefined;
      if (answer) return { content: [{ type: 'text', text: `got ${JSON.stringify(answer.content)}` }] };
      return inputRequired({
        inputRequests: {
          q: {
            method: 'elicitation/create',
            params: { mode: 'form', message: 'Names?', requestedSchema: JSON.parse(schemaJson) },
          } as never,
        },
      });
    });
  });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-bounds') });
  w = await startDiscordWorld({
    servers: [serverSchema.parse({ name: 'proto', url: mini.url })],
    store,
    transport: 'gateway',
  });
});
afterAll(async () => {
  await w?.close();
  await store?.close();
  await mini?.close();
});

describe('fields named like Object.prototype members on Discord', () => {
  it('are asked over two pages and every answer reaches the server', async () => {
    const dm = w.fake.dmChannel('pat');
    await w.say('pat', dm, '/call proto__proto_form {}');
    const form = await w.waitForMessage('pat', [dm.id], (m: FakeMessage) =>
      buttonLabels(m, 'shown').includes('Fill in'),
    );
    const values = JSON.parse(`{${NAMES.map((n) => `"${n}":"${n}!"`).join(',')}}`);
    const result = await w.fillForm('pat', form, values);
    expect(result).toMatchObject({ ok: true });
    expect(result.modals.map((m) => modalInputs(m).map((i) => i.id))).toEqual([
      NAMES.slice(0, 5),
      NAMES.slice(5),
    ]);
    const got = await w.waitForMessage('pat', [dm.id], (m: FakeMessage) => m.content.startsWith('got '));
    expect(got.content).toBe(`got ${JSON.stringify(values)}`);
    expect(w.fake.violations).toEqual([]);
  });
});

/**
 * `/tools` as a person reads it on every surface: each tool's arguments compactly (name, type,
 * required), and tools that can only run as MCP tasks shown as not offered, with the reason.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tool } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeTool, TASK_ONLY, taskOnly } from '../../src/tools/catalog.js';
import { startCoreRig } from '../helpers/core-rig.js';
import { demoServerConfig } from '../helpers/demo.js';
import { conv } from '../helpers/surface.js';

const tool = (extra: Partial<Tool> & Record<string, unknown>): Tool =>
  ({
    name: 'create_ticket',
    description: 'Files a ticket.',
    inputSchema: { type: 'object' },
    ...extra,
  }) as Tool;

describe('describeTool', () => {
  it('lists arguments with their types, required ones marked', () => {
    const lines = describeTool(
      'demo',
      tool({
        inputSchema: {
          type: 'object',
          properties: {
            title: { type: 'string' },
            priority: { type: 'string', enum: ['low', 'high'] },
            tags: { type: 'array', items: { type: 'string' } },
            due: { type: 'string', format: 'date' },
            count: { type: 'integer' },
          },
          required: ['title'],
        },
      }),
    );
    expect(lines).toEqual([
      '• `demo__create_ticket` — Files a ticket.\n    args: `title`* string · `priority` one of low|high · `tags` list of string · `due` string (date) · `count` integer',
    ]);
  });

  it('keeps a tool without arguments on one line', () => {
    expect(describeTool('demo', tool({}))).toEqual(['• `demo__create_ticket` — Files a ticket.']);
  });

  it('says why a task-only tool is not offered, instead of failing when called', () => {
    const t = tool({ execution: { taskSupport: 'required' } });
    expect(taskOnly(t)).toBe(true);
    expect(taskOnly(tool({ execution: { taskSupport: 'optional' } }))).toBe(false);
    expect(describeTool('demo', t).join('\n')).toContain(`Not available: ${TASK_ONLY}`);
  });
});

describe('a task-only tool on a real 2025-11-25 server', () => {
  it('is listed as not available, kept from the model, and refused by /call in words', async () => {
    const build = () => {
      const server = new McpServer({ name: 'tasks', version: '1.0.0' });
      const job = server.registerTool(
        'long_job',
        { description: 'Runs for hours.', inputSchema: z.object({}) },
        async () => ({ content: [{ type: 'text', text: 'should not run' }] }),
      );
      // registerTool's config has no `execution`; the registered tool carries it to tools/list.
      job.execution = { taskSupport: 'required' };
      server.registerTool(
        'quick',
        { description: 'Answers at once.', inputSchema: z.object({}) },
        async () => ({
          content: [{ type: 'text', text: 'quick answer' }],
        }),
      );
      return server;
    };
    // The default legacy fallback serves 2025-era clients, which still see `execution`.
    const handler = toNodeHandler(createMcpHandler(build));
    const http = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    const rig = await startCoreRig('task-only', [
      demoServerConfig(`http://127.0.0.1:${port}/mcp`, { name: 'tasks', era: 'legacy' }),
    ]);
    try {
      const who = conv('tasks');
      const user = who.user;
      void rig.agent.message(who, '/tools');
      const listing = await rig.surface.waitForText(user, /tasks__quick/);
      expect(listing).toContain(`\`tasks__long_job\` — Runs for hours.\n    _Not available: ${TASK_ONLY}_`);
      void rig.agent.message(who, '/call tasks__long_job {}');
      expect(await rig.surface.waitForText(user, /long_job:/)).toBe(`tasks__long_job: ${TASK_ONLY}`);
    } finally {
      await rig.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});

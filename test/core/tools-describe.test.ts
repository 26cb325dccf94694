/**
 * `/tools` as a person reads it on every surface: each tool's arguments compactly (name, type,
 * required), and tools that can only run as MCP tasks shown as not offered, with the reason.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { describeTool, TASK_ONLY, taskOnly } from '../../src/tools/catalog.js';

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

/**
 * Tools on the mini MCP server that return every content type of a `CallToolResult` (MCP
 * 2025-11-25 §server/tools "Tool Result"): for tests of how results reach the model and people.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** A 1×1 transparent PNG. */
export const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
/** A few bytes of a WAV header: content doesn't matter, only that it's carried as audio. */
export const TINY_WAV = Buffer.from('RIFF\u0024\u0000\u0000\u0000WAVEfmt ').toString('base64');
export const FILE_BODY = 'def main():\n    print("hello")\n';
export const BIG_TEXT_CHARS = 1024 * 1024;

export function registerResultTools(server: McpServer): void {
  const tool = (name: string, handler: () => Record<string, unknown>) =>
    server.registerTool(
      name,
      { description: `returns ${name}`, inputSchema: z.object({}) },
      async () => handler() as never,
    );
  tool('text', () => ({ content: [{ type: 'text', text: 'plain words' }] }));
  tool('file_contents', () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'repo://octo/app/main.py', mimeType: 'text/x-python', text: FILE_BODY },
      },
    ],
  }));
  tool('blob', () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'file:///reports/q3%20report.pdf',
          mimeType: 'application/pdf',
          blob: Buffer.from('%PDF-1.4 fake').toString('base64'),
        },
      },
    ],
  }));
  tool('link', () => ({
    content: [
      {
        type: 'resource_link',
        uri: 'https://docs.example.com/guide/start',
        name: 'Getting started',
        mimeType: 'text/html',
      },
    ],
  }));
  tool('image', () => ({
    content: [
      { type: 'text', text: 'here is the picture' },
      { type: 'image', data: TINY_PNG, mimeType: 'image/png' },
    ],
  }));
  tool('audio', () => ({ content: [{ type: 'audio', data: TINY_WAV, mimeType: 'audio/wav' }] }));
  tool('structured', () => ({ content: [], structuredContent: { temperature: 21.5, unit: 'C' } }));
  tool('failing', () => ({ isError: true, content: [{ type: 'text', text: 'disk is full' }] }));
  tool('with_meta', () => ({
    content: [{ type: 'text', text: 'visible', _meta: { secret: 'internal-meta-value' } }],
    _meta: { trace: 'internal-meta-value' },
  }));
  tool('huge', () => ({ content: [{ type: 'text', text: 'x'.repeat(BIG_TEXT_CHARS) }] }));
  tool('audience', () => ({
    content: [
      { type: 'text', text: 'for the person only', annotations: { audience: ['user'] } },
      { type: 'text', text: 'for the model only', annotations: { audience: ['assistant'] } },
    ],
  }));
}

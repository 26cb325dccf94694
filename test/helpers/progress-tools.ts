/**
 * Tools that report progress (MCP `notifications/progress` on the call's progressToken), for a
 * mini MCP server: `slow_job` sends three updates `gapMs` apart, `burst` thirty in 0.6 s.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

async function notify(ctx: ServerContext, progress: number, total: number, message: string) {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return;
  await ctx.mcpReq.notify({
    method: 'notifications/progress',
    params: { progressToken, progress, total, message },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerProgressTools(server: McpServer, gapMs: number): void {
  server.registerTool(
    'slow_job',
    { description: 'A job that reports its progress', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const sent = ctx.mcpReq._meta?.progressToken !== undefined;
      for (const [i, step] of ['copying', 'indexing', 'checking'].entries()) {
        await notify(ctx, i + 1, 3, step);
        await sleep(gapMs);
      }
      return { content: [{ type: 'text', text: `job done (progress token ${sent ? 'sent' : 'missing'})` }] };
    },
  );
  server.registerTool(
    'burst',
    { description: 'Reports progress thirty times in a burst', inputSchema: z.object({}) },
    async (_args, ctx) => {
      for (let i = 1; i <= 30; i++) {
        await notify(ctx, i, 30, `item ${i}`);
        await sleep(20);
      }
      await sleep(gapMs);
      return { content: [{ type: 'text', text: 'burst done' }] };
    },
  );
}

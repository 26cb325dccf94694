/**
 * Sampling: `summarize_tickets` asks the client's own model, or lists the tickets without it.
 */
import { type CallToolResult, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { callerId } from '../identity.js';
import { formatTicket } from '../tickets.js';
import { clientCan, humanWait, SUMMARY_MAX_TOKENS, type ToolKit, type ToolResult, text } from './kit.js';

/** Registers these tools on the kit's server instance. */
export function registerSamplingTools(kit: ToolKit): void {
  const { server, era } = kit;
  const { tickets, logger } = kit.deps;

  server.registerTool(
    'summarize_tickets',
    {
      title: 'Summarize tickets',
      description:
        "Summarizes your tickets with your client's own model (sampling); without sampling it lists them.",
      annotations: { readOnlyHint: true },
    },
    async (ctx): Promise<ToolResult> => {
      const mine = await tickets.list(callerId(ctx));
      if (mine.length === 0) return text('You have no tickets to summarize.');
      const plainList = (why: string): CallToolResult =>
        text(`${why} Your tickets:\n${mine.map((t) => `- ${formatTicket(t)}`).join('\n')}`);
      if (!clientCan(ctx, server, 'sampling')) {
        return plainList('Your client cannot summarize (it offers no sampling).');
      }
      const request = {
        messages: [
          {
            role: 'user' as const,
            content: {
              type: 'text' as const,
              text: `Summarize these support tickets in two or three sentences:\n${mine.map(formatTicket).join('\n')}`,
            },
          },
        ],
        systemPrompt: 'You summarize support tickets briefly and plainly.',
        maxTokens: SUMMARY_MAX_TOKENS,
      };

      let reply: { model: string; content: unknown };
      if (era === 'legacy') {
        try {
          reply = await ctx.mcpReq.requestSampling(request, humanWait(ctx));
        } catch (err) {
          logger.info({ err }, 'sampling failed; answering with the plain list');
          return plainList('Your client did not produce a summary.');
        }
      } else {
        const view = inputResponse(ctx.mcpReq.inputResponses, 'summary');
        if (view.kind !== 'sampling') {
          return inputRequired({ inputRequests: { summary: inputRequired.createMessage(request) } });
        }
        reply = view.result;
      }
      const summary = samplingText(reply.content);
      if (!summary) return plainList('Your client returned no text summary.');
      return text(`Summary (by ${reply.model}): ${summary}`);
    },
  );
}

function samplingText(content: unknown): string | undefined {
  const blocks = Array.isArray(content) ? content : [content];
  const texts = blocks
    .map((b) => samplingTextBlock.safeParse(b))
    .filter((r) => r.success)
    .map((r) => r.data.text.trim());
  const joined = texts.join('\n').trim();
  return joined || undefined;
}
const samplingTextBlock = z.object({ type: z.literal('text'), text: z.string() });

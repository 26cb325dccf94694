/**
 * Sampling: a server asks Parley's language model to write something (`sampling/createMessage`).
 * The person is told that the tool used the model; `maxTokens` is capped by configuration.
 */
import type { CreateMessageResult } from '@modelcontextprotocol/client';
import { ParleyError } from '../errors.js';
import type { Llm, LlmMessage } from '../llm.js';
import type { CallContext } from '../mcp/connection.js';

export class Sampler {
  constructor(
    private readonly llm: Llm | undefined,
    private readonly maxTokens: number,
    private readonly tell: (ctx: CallContext, text: string) => Promise<unknown>,
    /** Told the tokens each sampling request used, counted against the person who ran the tool. */
    private readonly onUsage?: (ctx: CallContext, tokens: number) => void,
  ) {}

  get available(): boolean {
    return this.llm !== undefined;
  }

  /** Answers one `sampling/createMessage` request. Throws `llm_unavailable` without a model. */
  async sample(ctx: CallContext, params: Record<string, unknown>): Promise<CreateMessageResult> {
    if (!this.llm)
      throw new ParleyError('llm_unavailable', 'Parley has no language model configured for sampling.');
    const wanted = typeof params.maxTokens === 'number' ? params.maxTokens : this.maxTokens;
    const messages: LlmMessage[] = [];
    if (typeof params.systemPrompt === 'string')
      messages.push({ role: 'system', content: params.systemPrompt });
    for (const m of Array.isArray(params.messages) ? params.messages : []) {
      const msg = m as { role?: string; content?: unknown };
      const parts = Array.isArray(msg.content) ? msg.content : [msg.content];
      const text = parts
        .map((p) =>
          typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text'
            ? String((p as { text?: unknown }).text ?? '')
            : '',
        )
        .join('\n');
      messages.push(
        msg.role === 'assistant' ? { role: 'assistant', content: text } : { role: 'user', content: text },
      );
    }
    const reply = await this.llm.complete({ messages, maxTokens: Math.min(wanted, this.maxTokens) });
    if (reply.usage) this.onUsage?.(ctx, reply.usage.prompt + reply.usage.completion);
    await this.tell(
      ctx,
      `ℹ️ ${ctx.server} · ${ctx.tool} used the language model to write part of its answer.`,
    );
    return { role: 'assistant', model: reply.model, content: { type: 'text', text: reply.content ?? '' } };
  }
}

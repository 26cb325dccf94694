/**
 * The LLM port, in the Chat Completions shape (so any OpenAI-compatible server fits), and its
 * `openai` 6 implementation. The agent only ever sees this interface.
 */
import OpenAI from 'openai';
import { ParleyError } from './errors.js';
import { metrics, secondsSince } from './observability/metrics.js';
import { withSpan } from './observability/tracing.js';

export interface LlmToolCall {
  id: string;
  name: string;
  /** JSON text, as the model produced it (may be malformed). */
  arguments: string;
}

export type LlmMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: LlmToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface LlmTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface LlmRequest {
  messages: LlmMessage[];
  tools?: LlmTool[];
  maxTokens?: number;
}

export interface LlmReply {
  content: string | null;
  toolCalls: LlmToolCall[];
  model: string;
  /** Tokens the request used, as the server reported them (`usage`); absent when it reported none. */
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number };
}

export interface Llm {
  complete(request: LlmRequest): Promise<LlmReply>;
}

export interface OpenAiLlmOptions {
  apiKey: string;
  baseURL?: string | undefined;
  model: string;
  timeoutMs?: number;
}

export class OpenAiLlm implements Llm {
  private readonly client: OpenAI;
  constructor(private readonly options: OpenAiLlmOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL && { baseURL: options.baseURL }),
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: 1,
    });
  }

  /** One Chat Completions request, as an `llm.chat` span; counted in the LLM metrics. */
  complete(request: LlmRequest): Promise<LlmReply> {
    return withSpan('llm.chat', { 'gen_ai.request.model': this.options.model }, () => this.request(request));
  }

  private async request(request: LlmRequest): Promise<LlmReply> {
    const started = performance.now();
    try {
      const res = await this.client.chat.completions.create({
        model: this.options.model,
        messages: request.messages.map((m) =>
          m.role === 'assistant'
            ? {
                role: 'assistant' as const,
                content: m.content,
                ...(m.tool_calls?.length && {
                  tool_calls: m.tool_calls.map((c) => ({
                    id: c.id,
                    type: 'function' as const,
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }),
              }
            : m,
        ),
        ...(request.tools?.length && {
          tools: request.tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }),
        ...(request.maxTokens && { max_tokens: request.maxTokens }),
      });
      const choice = res.choices[0];
      if (!choice) throw new Error('the model returned no choices');
      const toolCalls: LlmToolCall[] = [];
      for (const c of choice.message.tool_calls ?? []) {
        if (c.type === 'function')
          toolCalls.push({ id: c.id, name: c.function.name, arguments: c.function.arguments });
      }
      metrics.llmCall('ok', secondsSince(started), {
        prompt: res.usage?.prompt_tokens,
        completion: res.usage?.completion_tokens,
      });
      const usage = res.usage && {
        promptTokens: res.usage.prompt_tokens,
        completionTokens: res.usage.completion_tokens,
        totalTokens: res.usage.total_tokens,
      };
      return {
        content: choice.message.content ?? null,
        toolCalls,
        model: res.model,
        ...(usage && { usage }),
      };
    } catch (err) {
      metrics.llmCall('error', secondsSince(started));
      if (err instanceof ParleyError) throw err;
      const status = err instanceof OpenAI.APIError ? err.status : undefined;
      throw new ParleyError(
        'llm_error',
        status === 401 || status === 403
          ? 'The language model rejected Parley’s credentials. An admin needs to check OPENAI_API_KEY.'
          : 'The language model is not answering right now. Please try again in a moment.',
        { cause: err, detail: `LLM request failed${status ? ` (HTTP ${status})` : ''}: ${String(err)}` },
      );
    }
  }
}

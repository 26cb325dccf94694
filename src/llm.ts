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
  /** Parts carry images for a model that reads them (Chat Completions `image_url`, a data URL). */
  | { role: 'user'; content: string | LlmContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: LlmToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export type LlmContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

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
  /** Tokens, when the server reports them (a streamed answer's last chunk carries them). */
  usage?: { prompt: number; completion: number } | undefined;
}

/** Streaming: `onText` gets each piece of the answer's text as the model produces it. */
export interface LlmStreamOptions {
  onText?: (delta: string) => void;
}

export interface Llm {
  /**
   * Asks the model. With `options.onText` the answer is streamed (the reply is the same, assembled
   * from the stream); without it, one request and one response.
   * @throws ParleyError `llm_error` when the model can't be reached or refuses.
   */
  complete(request: LlmRequest, options?: LlmStreamOptions): Promise<LlmReply>;
  /** What to tell a person about this model (the console's start banner), e.g. "gpt-4o-mini at api.example.com". */
  readonly description?: string;
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

  get description(): string {
    if (!this.options.baseURL) return this.options.model;
    try {
      return `${this.options.model} at ${new URL(this.options.baseURL).host}`;
    } catch {
      return this.options.model;
    }
  }

  /** One Chat Completions request (streamed with `options.onText`), as an `llm.chat` span; counted in the LLM metrics. */
  complete(request: LlmRequest, options: LlmStreamOptions = {}): Promise<LlmReply> {
    return withSpan('llm.chat', { 'gen_ai.request.model': this.options.model }, () =>
      this.request(request, options),
    );
  }

  private async request(request: LlmRequest, options: LlmStreamOptions): Promise<LlmReply> {
    const started = performance.now();
    try {
      const body = {
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
      };
      const onText = options.onText;
      if (onText) {
        const stream = await this.client.chat.completions.create({
          ...body,
          stream: true,
          stream_options: { include_usage: true },
        });
        const reply = await assembleStream(stream, onText);
        metrics.llmCall('ok', secondsSince(started), reply.usage ?? {});
        return reply;
      }
      const res = await this.client.chat.completions.create(body);
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
      const usage = res.usage && { prompt: res.usage.prompt_tokens, completion: res.usage.completion_tokens };
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
      throw new ParleyError('llm_error', llmRefusal(err, status), {
        cause: err,
        detail: `LLM request failed${status ? ` (HTTP ${status})` : ''}: ${String(err)}`,
      });
    }
  }
}

/**
 * The sentence for a failed model request. Only what waiting may cure is "try again": a request
 * longer than the model's context (OpenAI's `context_length_exceeded`; compatible servers say
 * "maximum context length" in words) or a model the server doesn't have (404) fails the same way
 * every time, so the person — or an admin — is told what to change.
 */
function llmRefusal(err: unknown, status: number | undefined): string {
  if (status === 401 || status === 403)
    return 'The language model rejected Parley’s credentials. An admin needs to check OPENAI_API_KEY.';
  const code = err instanceof OpenAI.APIError ? err.code : undefined;
  const text = err instanceof Error ? err.message : '';
  if (code === 'context_length_exceeded' || (status === 400 && /context (length|window)/i.test(text)))
    return 'This conversation is too long for the language model. Send a shorter message, or `/reset` to start afresh.';
  if (status === 404)
    return 'The language model Parley is set to use wasn’t found. An admin needs to check OPENAI_MODEL (and OPENAI_BASE_URL).';
  return 'The language model is not answering right now. Please try again in a moment.';
}

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/**
 * Builds a reply from a stream of chat-completion chunks: text deltas are concatenated (and handed
 * to `onText` as they come); tool calls arrive in pieces keyed by `index` — the first piece has
 * the id and name, later ones append to `function.arguments` (OpenAI Chat Completions streaming).
 */
export async function assembleStream(
  stream: AsyncIterable<Chunk>,
  onText: (delta: string) => void,
): Promise<LlmReply> {
  let content = '';
  let model = '';
  let usage: LlmReply['usage'];
  const calls = new Map<number, LlmToolCall>();
  for await (const chunk of stream) {
    if (chunk.model) model = chunk.model;
    if (chunk.usage) usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens };
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    if (delta.content) {
      content += delta.content;
      onText(delta.content);
    }
    for (const piece of delta.tool_calls ?? []) {
      const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      calls.set(piece.index, call);
    }
  }
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
  return { content: content || null, toolCalls, model, usage };
}

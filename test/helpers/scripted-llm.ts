/**
 * A scripted OpenAI-compatible server (Chat Completions), the LLM edge we can't run here. Each
 * request takes the next step of the script; a step sees the request, so it can answer with
 * tool calls built from what the conversation holds. Requests are recorded for assertions.
 * A request with `stream: true` gets the same step as server-sent chat-completion chunks: text word
 * by word (`pieces` to choose them, `gapMs` between them), tool calls in pieces as OpenAI sends them.
 */
import { createServer, type Server } from 'node:http';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  max_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export type ScriptStep =
  /** `tokens`: the reply's reported total usage (2 unless given). */
  | { content: string; pieces?: string[]; gapMs?: number; tokens?: number }
  | {
      toolCalls: Array<{ name: string; arguments: Record<string, unknown> }>;
      /** Text the model says before its tool calls (streamed first). */
      content?: string;
      gapMs?: number;
      tokens?: number;
    }
  | { status: number; error: string }
  | ((request: ChatRequest) => ScriptStep);

export interface ScriptedLlm {
  baseURL: string;
  requests: ChatRequest[];
  /** Appends steps; a request with no step left gets a 500, which a test sees as an LLM error. */
  push(...steps: ScriptStep[]): void;
  close(): Promise<void>;
}

let callCounter = 0;

export async function startScriptedLlm(initial: ScriptStep[] = []): Promise<ScriptedLlm> {
  const steps = [...initial];
  const requests: ChatRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const request = JSON.parse(body || '{}') as ChatRequest;
      requests.push(request);
      let step = steps.shift();
      while (typeof step === 'function') step = step(request);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!step) return send(500, { error: { message: 'scripted LLM: no step left', type: 'server_error' } });
      if ('status' in step)
        return send(step.status, { error: { message: step.error, type: 'server_error' } });
      const calls =
        'toolCalls' in step
          ? step.toolCalls.map((c) => ({
              id: `call_${++callCounter}`,
              type: 'function' as const,
              function: { name: c.name, arguments: JSON.stringify(c.arguments) },
            }))
          : [];
      const content = step.content ?? null;
      const finish = calls.length > 0 ? 'tool_calls' : 'stop';
      const model = request.model || 'scripted';
      if (request.stream) {
        const pieces = ('pieces' in step && step.pieces) || (content?.match(/\s*\S+|\s+$/g) ?? []);
        const usage = request.stream_options?.include_usage === true;
        void streamSse(res, model, pieces, calls, finish, step.gapMs ?? 0, usage);
        return;
      }
      const message = {
        role: 'assistant',
        content,
        ...(calls.length > 0 && { tool_calls: calls }),
      };
      send(200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage: {
          prompt_tokens: ('tokens' in step && step.tokens !== undefined ? step.tokens : 2) - 1,
          completion_tokens: 1,
          total_tokens: 'tokens' in step && step.tokens !== undefined ? step.tokens : 2,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    push: (...more) => steps.push(...more),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Call = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** Sends a step as OpenAI's server-sent chunks, ending with `data: [DONE]`. */
async function streamSse(
  res: import('node:http').ServerResponse,
  model: string,
  pieces: string[],
  calls: Call[],
  finish: string,
  gapMs: number,
  usage: boolean,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const id = `chatcmpl-s${++callCounter}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      })}\n\n`,
    );
  const pause = () => (gapMs > 0 ? new Promise((r) => setTimeout(r, gapMs)) : Promise.resolve());
  chunk({ role: 'assistant', content: '' });
  for (const piece of pieces) {
    await pause();
    chunk({ content: piece });
  }
  for (const [index, c] of calls.entries()) {
    const half = Math.ceil(c.function.arguments.length / 2);
    chunk({
      tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
    });
    chunk({ tool_calls: [{ index, function: { arguments: c.function.arguments.slice(0, half) } }] });
    chunk({ tool_calls: [{ index, function: { arguments: c.function.arguments.slice(half) } }] });
  }
  chunk({}, finish);
  // With stream_options.include_usage, a last chunk with no choices carries the token counts.
  if (usage)
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        usage: { prompt_tokens: 1, completion_tokens: pieces.length, total_tokens: 1 + pieces.length },
      })}\n\n`,
    );
  res.end('data: [DONE]\n\n');
}

/**
 * A scripted OpenAI-compatible server (Chat Completions), the LLM edge we can't run here. Each
 * request takes the next step of the script; a step sees the request, so it can answer with
 * tool calls built from what the conversation holds. Requests are recorded for assertions.
 */
import { createServer, type Server } from 'node:http';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  max_tokens?: number;
}

export type ScriptStep =
  /** `tokens`: the reply's reported total usage (2 unless given). */
  | { content: string; tokens?: number }
  | { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }>; tokens?: number }
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
      const message =
        'content' in step
          ? { role: 'assistant', content: step.content }
          : {
              role: 'assistant',
              content: null,
              tool_calls: step.toolCalls.map((c) => ({
                id: `call_${++callCounter}`,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.arguments) },
              })),
            };
      send(200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model || 'scripted',
        choices: [{ index: 0, message, finish_reason: 'content' in step ? 'stop' : 'tool_calls' }],
        usage: {
          prompt_tokens: (step.tokens ?? 2) - 1,
          completion_tokens: 1,
          total_tokens: step.tokens ?? 2,
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

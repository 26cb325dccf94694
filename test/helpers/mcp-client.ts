/**
 * Real SDK clients for the demo MCP server's tests, in either protocol era. Forms and sampling are
 * answered by the handlers a test passes in, so every test drives the server the way a host would.
 */
import {
  type CallToolResult,
  Client,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type InputRequiredResult,
  isInputRequiredResult,
  StreamableHTTPClientTransport,
  specTypeSchemas,
  withInputRequired,
} from '@modelcontextprotocol/client';

export type ClientEra = 'modern' | 'legacy';

export interface TestClientOptions {
  era: ClientEra;
  /** Which elicitation modes the client declares. Default: form and url. */
  elicitation?: 'form' | 'form+url' | 'none';
  /** Answers `elicitation/create` (both eras; on modern it also fulfils input_required rounds). */
  onElicit?: (params: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;
  /** Declares sampling and answers `sampling/createMessage` when given. */
  onSample?: (params: CreateMessageRequest['params']) => CreateMessageResult | Promise<CreateMessageResult>;
  onElicitationComplete?: (elicitationId: string) => void;
  /** A bearer token sent with every request. */
  token?: string;
  /** Modern only: false makes input_required rounds come back to the caller. */
  autoFulfill?: boolean;
}

export async function connectTestClient(url: string, options: TestClientOptions): Promise<Client> {
  const elicitation = options.elicitation ?? 'form+url';
  const client = new Client(
    { name: 'parley-test', version: '0.0.0' },
    {
      capabilities: {
        ...(elicitation === 'none'
          ? {}
          : {
              elicitation:
                elicitation === 'form'
                  ? { form: { applyDefaults: true } }
                  : { form: { applyDefaults: true }, url: {} },
            }),
        ...(options.onSample ? { sampling: {} } : {}),
      },
      ...(options.era === 'modern' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
      ...(options.autoFulfill === false ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  if (elicitation !== 'none') {
    const onElicit = options.onElicit ?? (() => ({ action: 'cancel' as const }));
    client.setRequestHandler('elicitation/create', async (request) => onElicit(request.params));
  }
  const onSample = options.onSample;
  if (onSample)
    client.setRequestHandler('sampling/createMessage', async (request) => onSample(request.params));
  const onComplete = options.onElicitationComplete;
  if (onComplete) {
    client.setNotificationHandler('notifications/elicitation/complete', async (n) => {
      onComplete(n.params.elicitationId);
    });
  }
  const token = options.token;
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token ? { authProvider: { token: async () => token } } : {}),
  });
  await client.connect(transport);
  const expected = options.era === 'modern' ? '2026-07-28' : '2025-11-25';
  if (client.getNegotiatedProtocolVersion() !== expected) {
    throw new Error(`Expected protocol ${expected}, negotiated ${client.getNegotiatedProtocolVersion()}.`);
  }
  return client;
}

/** The text of a tool result's first text block. */
export function textOf(result: unknown): string {
  const parsed = specTypeSchemas.CallToolResult['~standard'].validate(result);
  const block = parsed.issues ? undefined : parsed.value.content.find((c) => c.type === 'text');
  if (block?.type !== 'text') throw new Error(`No text in result: ${JSON.stringify(result)}`);
  return block.text;
}

export const ERAS: readonly ClientEra[] = ['modern', 'legacy'];

/** What a manual (autoFulfill: false) modern call returns: a result, or the input it needs. */
export type ManualCallResult = CallToolResult | InputRequiredResult;

/**
 * A modern `tools/call` through the manual multi-round path: an input_required answer comes back
 * to the caller, who resumes with `inputResponses` (same keys) and the opaque `requestState`.
 */
export async function callToolManually(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  resume: { inputResponses?: Record<string, unknown>; requestState?: string } = {},
): Promise<ManualCallResult> {
  return client.request(
    { method: 'tools/call', params: { name, arguments: args, ...resume } },
    withInputRequired(specTypeSchemas.CallToolResult),
    { allowInputRequired: true },
  );
}

export { isInputRequiredResult };

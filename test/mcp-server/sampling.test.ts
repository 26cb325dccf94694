import type { Client, CreateMessageRequest } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  callToolManually,
  connectTestClient,
  ERAS,
  isInputRequiredResult,
  type TestClientOptions,
  textOf,
} from '../helpers/mcp-client.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

// A fresh server per test: modern callers without a token share the identity "anonymous".
let fx: DemoServerFixture;
const clients: Client[] = [];
beforeEach(async () => {
  fx = await startDemoServerFixture();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await fx.close();
});

async function clientWithTickets(options: TestClientOptions): Promise<Client> {
  const client = await connectTestClient(fx.server.url, options);
  clients.push(client);
  for (const description of ['Printer jams on page 2', 'VPN drops hourly']) {
    await client.callTool({
      name: 'create_ticket',
      arguments: { initial_description: description, reporter_name: 'Ann', priority: 'high' },
    });
  }
  return client;
}

describe.each(ERAS)('summarize_tickets, %s era', (era) => {
  it("asks the client's model, with bounded tokens, when the client can sample", async () => {
    const asked: CreateMessageRequest['params'][] = [];
    const client = await clientWithTickets({
      era,
      onSample: (params) => {
        asked.push(params);
        return {
          role: 'assistant',
          model: 'scripted-model',
          content: { type: 'text', text: 'Two IT issues.' },
        };
      },
    });
    const result = await client.callTool({ name: 'summarize_tickets', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('Summary (by scripted-model): Two IT issues.');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.maxTokens).toBeLessThanOrEqual(300);
    const prompt = asked[0]?.messages[0]?.content;
    expect(prompt).toMatchObject({ type: 'text', text: expect.stringContaining('Printer jams on page 2') });
  });

  it('returns the plain list when the client cannot sample', async () => {
    const client = await clientWithTickets({ era });
    const result = await client.callTool({ name: 'summarize_tickets', arguments: {} });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toContain('cannot summarize');
    expect(text).toContain('Printer jams on page 2');
    expect(text).toContain('VPN drops hourly');
  });

  it('says so when there is nothing to summarize', async () => {
    const client = await connectTestClient(fx.server.url, { era });
    clients.push(client);
    expect(textOf(await client.callTool({ name: 'summarize_tickets', arguments: {} }))).toBe(
      'You have no tickets to summarize.',
    );
  });
});

describe('summarize_tickets fallbacks', () => {
  it('falls back to the list when a legacy client refuses to sample', async () => {
    const client = await clientWithTickets({
      era: 'legacy',
      onSample: () => {
        throw new Error('The user rejected the sampling request.');
      },
    });
    const text = textOf(await client.callTool({ name: 'summarize_tickets', arguments: {} }));
    expect(text).toContain('did not produce a summary');
    expect(text).toContain('VPN drops hourly');
  });

  it('returns the sampling request as an input_required round on the manual modern path', async () => {
    const client = await clientWithTickets({
      era: 'modern',
      autoFulfill: false,
      onSample: () => ({ role: 'assistant', model: 'unused', content: { type: 'text', text: 'unused' } }),
    });
    const first = await callToolManually(client, 'summarize_tickets', {});
    if (!isInputRequiredResult(first)) throw new Error('expected input_required');
    const request = first.inputRequests?.summary;
    expect(request?.method).toBe('sampling/createMessage');
    expect(request?.params).toMatchObject({ maxTokens: 300 });

    const done = await callToolManually(
      client,
      'summarize_tickets',
      {},
      {
        inputResponses: {
          summary: {
            role: 'assistant',
            model: 'human-typed',
            content: { type: 'text', text: 'Printer and VPN.' },
          },
        },
      },
    );
    expect(textOf(done)).toBe('Summary (by human-typed): Printer and VPN.');
  });
});

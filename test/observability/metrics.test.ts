/**
 * /metrics after a scripted turn through the real agent: the counters it should move moved, the
 * endpoint is on its own port and wants METRICS_TOKEN, and label values stay bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOOLS_PER_SERVER, ParleyMetrics } from '../../src/observability/metrics.js';
import { runScriptedToolTurn, type TurnFixture } from './turn-fixture.js';

const TOKEN = 'metrics-token-for-tests';
let fixture: TurnFixture;
let text: string;

beforeAll(async () => {
  fixture = await runScriptedToolTurn({
    METRICS_TOKEN: TOKEN,
    PARLEY_SYSTEM_PROMPT: 'You are the metrics test bot.',
  });
  const port = fixture.parley.metricsServer?.port;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  text = await res.text();
});
afterAll(async () => {
  await fixture?.close();
});

/** The value of one series, e.g. `parley_turns_total{platform="console",outcome="answered"}`. */
function value(series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics after a scripted tool turn', () => {
  it('the turn ran, with the configured system prompt', () => {
    expect(fixture.transcript()).toMatch(/The tool said: echo: observed/);
    expect(fixture.llm.requests[0]?.messages[0]).toEqual({
      role: 'system',
      content: 'You are the metrics test bot.',
    });
  });

  it('counts the turn, the tool call, the confirmation and the LLM calls', () => {
    expect(value('parley_turns_total{platform="console",outcome="answered"}')).toBe(1);
    expect(value('parley_tool_calls_total{server="tools",tool="echo",outcome="ok"}')).toBe(1);
    expect(value('parley_tool_call_duration_seconds_count{server="tools",tool="echo",outcome="ok"}')).toBe(1);
    expect(value('parley_interactions_total{kind="confirm",outcome="confirmed"}')).toBe(1);
    expect(value('parley_llm_calls_total{outcome="ok"}')).toBe(2);
    expect(value('parley_llm_call_duration_seconds_count{outcome="ok"}')).toBe(2);
    // The console streams: the scripted server reports 1 prompt token per answer, and one
    // completion token per streamed piece (a tool call is one; "The tool said: echo: observed"
    // is four words).
    expect(value('parley_llm_tokens_total{kind="prompt"}')).toBe(2);
    expect(value('parley_llm_tokens_total{kind="completion"}')).toBeGreaterThanOrEqual(2);
  });

  it('counts the connection and shows the pool size', () => {
    expect(value('parley_mcp_connects_total{server="tools",outcome="ok"}')).toBe(1);
    expect(value('parley_mcp_connections')).toBe(1);
  });

  it('has the default Node metrics', () => {
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('refuses a scrape without the token, and serves nothing else', async () => {
    const base = `http://127.0.0.1:${fixture.parley.metricsServer?.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('is not on the public port', async () => {
    const res = await fetch(`http://127.0.0.1:${fixture.parley.http.port}/metrics`);
    expect(res.status).toBe(404);
  });
});

describe('label values are bounded', () => {
  it('maps unknown platforms, servers and outcomes to "other" and caps tool names per server', async () => {
    const m = new ParleyMetrics();
    m.setServers(['known']);
    m.turn('irc', 'answered');
    m.toolCall('unknown-server', 'x', 'ok', 0.1);
    m.toolCall('known', 'has spaces and <html>', 'ok', 0.1);
    for (let i = 0; i < MAX_TOOLS_PER_SERVER + 5; i++) m.toolCall('known', `tool_${i}`, 'ok', 0.01);
    m.interaction('form', 'something-new');
    m.storeError('get; DROP');
    m.feedback('irc', 'meh');
    const { body } = await m.scrape();
    expect(body).toMatch(/parley_turns_total\{platform="other",outcome="answered"\} 1/);
    expect(body).toMatch(/parley_tool_calls_total\{server="other",tool="other",outcome="ok"\} 1/);
    // The malformed name and the 5 past the cap.
    expect(body).toMatch(/parley_tool_calls_total\{server="known",tool="other",outcome="ok"\} 6/);
    const toolSeries = body.split('\n').filter((l) => l.startsWith('parley_tool_calls_total{server="known"'));
    expect(toolSeries).toHaveLength(MAX_TOOLS_PER_SERVER + 1);
    expect(body).toMatch(/parley_interactions_total\{kind="form",outcome="other"\} 1/);
    expect(body).toMatch(/parley_store_errors_total\{operation="other"\} 1/);
    expect(body).toMatch(/parley_feedback_total\{surface="other",value="other"\} 1/);
  });
});

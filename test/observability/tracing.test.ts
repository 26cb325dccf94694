/**
 * Tracing through the OpenTelemetry SDK with an in-memory exporter: a scripted tool turn through
 * the real agent makes one trace whose root is the turn, with the LLM calls, the MCP requests and
 * store round trips beneath it; the MCP server receives the trace context in `_meta`.
 * The confirmed call resumes from the person's answer — possibly hours later, on another process
 * — so the resumed part is a `parley.turn.resume` trace of its own, shaped the same way.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingExporters } from '../../src/observability/tracing.js';
import { runScriptedToolTurn, type TurnFixture } from './turn-fixture.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let fixture: TurnFixture;

beforeAll(async () => {
  provider.register();
  fixture = await runScriptedToolTurn();
});
afterAll(async () => {
  await fixture?.close();
  await provider.shutdown();
  trace.disable();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (s: ReturnType<typeof spans>[number]) => s.parentSpanContext?.spanId;

describe('the spans of a tool turn', () => {
  it('have one root: the turn', () => {
    expect(fixture.transcript()).toMatch(/The tool said: echo: observed/);
    const turns = spans().filter((s) => s.name === 'parley.turn');
    expect(turns).toHaveLength(1);
    const turn = turns[0];
    expect(turn?.parentSpanContext).toBeUndefined();
    expect(turn?.attributes['parley.platform']).toBe('console');
  });

  it('put the first LLM call, the MCP connect and tools/list, and store round trips under the turn', () => {
    const turn = spans().find((s) => s.name === 'parley.turn');
    const traceId = turn?.spanContext().traceId;
    const inTurn = spans().filter((s) => s.spanContext().traceId === traceId);
    const children = inTurn.filter((s) => parentOf(s) === turn?.spanContext().spanId).map((s) => s.name);
    expect(children).toContain('llm.chat');
    expect(children).toContain('mcp.connect');
    expect(children).toContain('mcp.tools/list');
    expect(children.some((n) => n.startsWith('store.'))).toBe(true);
  });

  it('put the confirmed tools/call and the final LLM call under the resumed turn', () => {
    const resumed = spans().filter((s) => s.name === 'parley.turn.resume');
    expect(resumed).toHaveLength(1);
    const root = resumed[0]?.spanContext().spanId;
    expect(resumed[0]?.parentSpanContext).toBeUndefined();
    const call = spans().find((s) => s.name === 'mcp.tools/call');
    expect(call?.attributes).toMatchObject({
      'mcp.server': 'tools',
      'mcp.tool': 'echo',
      'mcp.outcome': 'ok',
    });
    expect(call && parentOf(call)).toBe(root);
    const llm = spans().filter((s) => s.name === 'llm.chat');
    expect(llm).toHaveLength(2);
    expect(llm.filter((s) => parentOf(s) === root)).toHaveLength(1);
  });

  it('nest fetch() requests (undici) under MCP and LLM spans only when the SDK instruments them', () => {
    // Without startTracing's undici instrumentation nothing else appears: every span is Parley's.
    const names = new Set(spans().map((s) => s.name));
    for (const n of names) expect(n).toMatch(/^(parley\.|llm\.|mcp\.|store\.)/);
  });

  it('put each MCP HTTP request under the MCP request it carries', () => {
    const call = spans().find((s) => s.name === 'mcp.tools/call');
    const posts = spans().filter((s) => s.name === 'mcp.http' && parentOf(s) === call?.spanContext().spanId);
    expect(posts.map((s) => s.attributes['http.request.method'])).toEqual(['POST']);
    expect(posts[0]?.attributes['http.response.status_code']).toBe(200);
  });

  it('send the trace context to the MCP server in _meta (W3C traceparent)', () => {
    const call = spans().find((s) => s.name === 'mcp.tools/call');
    const meta = fixture.metas[0];
    expect(meta?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const [, traceId, spanId] = String(meta?.traceparent).split('-');
    expect(traceId).toBe(call?.spanContext().traceId);
    expect(spanId).toBe(call?.spanContext().spanId);
  });
});

describe('tracing is off unless OTEL_* asks for it', () => {
  it('reads the standard variables', () => {
    expect(tracingExporters({})).toEqual([]);
    expect(tracingExporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual(['otlp']);
    expect(tracingExporters({ OTEL_TRACES_EXPORTER: 'console' })).toEqual(['console']);
    expect(
      tracingExporters({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }),
    ).toEqual([]);
    expect(tracingExporters({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual([]);
  });
});

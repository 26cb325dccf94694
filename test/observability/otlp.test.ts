/**
 * startTracing end to end: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach a (local) OTLP/HTTP
 * collector at `/v1/traces` under service.name "parley", and a fetch() made inside a span is
 * traced beneath it by the undici instrumentation.
 */
import { createServer, type Server } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { otlpTracesUrl, startTracing, withSpan } from '../../src/observability/tracing.js';

interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  traceId: string;
}

const posts: Array<{ path: string; body: unknown }> = [];
let server: Server | undefined;

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  trace.disable();
  propagation.disable();
  context.disable();
});

describe('startTracing', () => {
  it('exports spans over OTLP/HTTP, with fetch() traced beneath the span that made it', async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if (req.method === 'POST') posts.push({ path: req.url ?? '', body: JSON.parse(body || '{}') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

    const tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/` });
    expect(tracing).toBeDefined();
    await withSpan('parley.turn', { 'parley.platform': 'test' }, async () => {
      await fetch(`${base}/elsewhere`).then((r) => r.text());
    });
    await tracing?.shutdown();

    const exported = posts.filter((p) => p.path === '/v1/traces');
    expect(exported.length).toBeGreaterThan(0);
    const resourceSpans = exported.flatMap(
      (p) =>
        (
          p.body as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
              scopeSpans: Array<{ spans: OtlpSpan[] }>;
            }>;
          }
        ).resourceSpans,
    );
    const service = resourceSpans[0]?.resource.attributes.find((a) => a.key === 'service.name');
    expect(service?.value.stringValue).toBe('parley');
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const turn = spans.find((s) => s.name === 'parley.turn');
    const request = spans.find((s) => s.name === 'GET');
    expect(turn).toBeDefined();
    expect(request?.traceId).toBe(turn?.traceId);
    expect(request?.parentSpanId).toBe(turn?.spanId);
  });

  it('stays off without the variables, and builds the traces URL as the OTLP spec says', async () => {
    expect(await startTracing({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(
      otlpTracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x',
      }),
    ).toBe('http://t/x');
  });
});

/**
 * OpenTelemetry tracing. Parley's code makes spans through the API only ({@link withSpan}); they
 * cost nothing until {@link startTracing} registers an SDK, which it does only when the standard
 * OTEL_* variables ask for an exporter. One trace per turn: the turn span is the root, with the
 * LLM calls, each MCP request and each store round trip beneath it, and the outgoing HTTP
 * requests beneath those: MCP over HTTP as spans of its own (`mcp/http-fetch.ts`), `fetch()` —
 * the LLM, Slack's Web API, Discord's REST API — through the undici instrumentation. That works
 * through diagnostics channels, so it needs no ESM loader hook; module-patching instrumentations (http server, ioredis, express) would, and
 * the store and turn spans above cover what they would show.
 *
 * The trace context travels to MCP servers in the request's `_meta` (`traceparent`,
 * `tracestate`), the W3C Trace Context fields MCP's `_meta` carries for this (the spec's
 * "_meta" general field, SEP-414's OpenTelemetry convention).
 */
import { type Attributes, context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../logger.js';

const TRACER = 'parley';

/**
 * Runs `work` in a new active span named `name` (a child of the active one, or a new trace). The
 * span ends when `work` settles; a throw is recorded on it (code and message only) and rethrown.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      const e = err as { code?: unknown; name?: unknown };
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(e.code ?? e.name ?? 'error') });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active trace context as W3C `traceparent`/`tracestate` fields (empty when none). */
export function traceContextFields(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The standard variables that turn tracing on (the SDK reads the rest of OTEL_* itself). */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: string | undefined;
  OTEL_TRACES_EXPORTER?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

/** The exporters the environment asks for: `otlp`, `console`; empty means tracing stays off. */
export function tracingExporters(env: TracingEnv): Array<'otlp' | 'console'> {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return [];
  const listed = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (listed.includes('none')) return [];
  if (listed.length > 0)
    return listed.filter((e): e is 'otlp' | 'console' => e === 'otlp' || e === 'console');
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp'] : [];
}

/**
 * Where OTLP/HTTP spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else
 * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces` (OTLP exporter spec), else the SDK's default.
 */
export function otlpTracesUrl(env: TracingEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

export interface Tracing {
  /** Flushes spans still queued and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers the tracing SDK when the environment asks for it (see {@link tracingExporters});
 * undefined, and nothing loaded, otherwise. OTLP goes over HTTP (JSON) to
 * OTEL_EXPORTER_OTLP_ENDPOINT (`…/v1/traces`); the sampler, headers and resource attributes come
 * from the usual OTEL_* variables.
 */
export async function startTracing(env: TracingEnv, logger?: Logger): Promise<Tracing | undefined> {
  const exporters = tracingExporters(env);
  if (exporters.length === 0) return undefined;
  const [
    { NodeTracerProvider, BatchSpanProcessor, ConsoleSpanExporter },
    resources,
    { registerInstrumentations },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
  ]);
  const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
  const spanProcessors = [];
  for (const name of exporters) {
    if (name === 'console') spanProcessors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
    else {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(env) })));
    }
  }
  const resource = resources
    .resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || 'parley' })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation()],
  });
  logger?.info({ exporters }, 'tracing on');
  return {
    async shutdown() {
      unregister();
      await provider.shutdown().catch(() => undefined);
    },
  };
}

/**
 * The OpenTelemetry SDK set-up of one demo service: a TracerProvider with the service's resource,
 * a BatchSpanProcessor and the real OTLP/HTTP exporter (protobuf or JSON, gzip or not) pointed at
 * the local endpoint with the API key. The exporter is wrapped to record which spans the endpoint
 * accepted (a 200): that is the ground truth the demo compares the pipeline's decisions with.
 */
import { context, SpanKind, SpanStatusCode, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export type OtlpProtocol = 'proto' | 'json';

export interface ExporterChoice {
  readonly protocol: OtlpProtocol;
  readonly gzip: boolean;
}

export interface ExportTarget {
  /** OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly url: string;
  readonly apiKey: string;
  /** The BatchSpanProcessor's delay between exports (the SDK default is 5000 ms). */
  readonly exportDelayMs: number;
}

/** What the endpoint accepted, per trace: the ground truth of what the pipeline must account for. */
export class AcceptedSpans {
  /** Span ids accepted, by trace id. */
  public readonly byTrace = new Map<string, Set<string>>();
  /** Trace ids with at least one accepted span whose status is ERROR. */
  public readonly errorTraces = new Set<string>();
  /** Trace ids with an accepted CONSUMER span (the async queue hop). */
  public readonly asyncHopTraces = new Set<string>();
  public spansRefused = 0;
  public exportsRefused = 0;
  public lastExportAt = 0;

  public record(spans: readonly ReadableSpan[], result: ExportResult): void {
    this.lastExportAt = Date.now();
    if (result.code !== ExportResultCode.SUCCESS) {
      this.exportsRefused++;
      this.spansRefused += spans.length;
      return;
    }
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      let ids = this.byTrace.get(traceId);
      if (!ids) {
        ids = new Set();
        this.byTrace.set(traceId, ids);
      }
      ids.add(spanId);
      if (span.status.code === SpanStatusCode.ERROR) this.errorTraces.add(traceId);
      if (span.kind === SpanKind.CONSUMER) this.asyncHopTraces.add(traceId);
    }
  }

  public spanCount(): number {
    let total = 0;
    for (const ids of this.byTrace.values()) total += ids.size;
    return total;
  }
}

/** W3C traceparent/tracestate and W3C baggage, the two headers the demo services propagate. */
export const PROPAGATOR: TextMapPropagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

let contextManagerInstalled = false;

/**
 * Installs the AsyncLocalStorage context manager once per process, so `context.with` carries the
 * active span across awaits (the services run in one process, each with its own provider).
 */
export function installContextManager(): void {
  if (contextManagerInstalled) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerInstalled = true;
}

export interface ServiceTelemetry {
  readonly provider: TracerProvider;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function serviceTelemetry(
  service: string,
  exporter: ExporterChoice,
  target: ExportTarget,
  accepted: AcceptedSpans,
): ServiceTelemetry {
  const inner = otlpExporter(exporter, target);
  const counting: SpanExporter = {
    export: (spans, done) =>
      inner.export(spans, (result) => {
        accepted.record(spans, result);
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      [ATTR_SERVICE_VERSION]: '1.0.0',
      'deployment.environment.name': 'demo',
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: counting,
        scheduledDelayMillis: target.exportDelayMs,
        // The default queue of 2048 spans would overflow (dropping spans and falsifying the ground
        // truth) above about 80 requests/s: checkout ends 5 spans a request and holds them for the
        // 5 s export delay (2048 / (5 x 5) = 82).
        maxQueueSize: 65_536,
      }),
    ],
  });
  return {
    provider,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function otlpExporter(choice: ExporterChoice, target: ExportTarget): SpanExporter {
  const config = {
    url: target.url,
    headers: { 'x-api-key': target.apiKey },
    // The exporters type this as their CompressionAlgorithm enum, whose values are these strings;
    // the enum lives in @opentelemetry/otlp-exporter-base, a package we do not depend on directly.
    compression: (choice.gzip ? 'gzip' : 'none') as never,
  };
  return choice.protocol === 'proto' ? new OtlpProtoExporter(config) : new OtlpJsonExporter(config);
}

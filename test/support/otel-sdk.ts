/**
 * Real OpenTelemetry JS SDK spans and request bodies for tests: the bytes come from the SDK's own
 * protobuf and JSON serializers (@opentelemetry/otlp-transformer), not from our encoder.
 */
import { type Span as ApiSpan, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

export interface SdkTraceOptions {
  readonly service?: string;
  readonly children?: number;
  readonly error?: boolean;
  readonly withEvents?: boolean;
}

/** Records finished spans from the real SDK for one service. */
export function makeSdk(service: string): {
  provider: TracerProvider;
  exporter: InMemorySpanExporter;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': service,
      'service.version': '1.4.2',
      'deployment.environment.name': 'test',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return { provider, exporter };
}

/** Produces `traces` traces of `1 + children` spans each with the real SDK, returns the finished spans. */
export async function sdkSpans(traces: number, options: SdkTraceOptions = {}): Promise<ReadableSpan[]> {
  const { provider, exporter } = makeSdk(options.service ?? 'checkout');
  const tracer = provider.getTracer('tracesift-test', '0.1.0');
  for (let t = 0; t < traces; t++) {
    tracer.startActiveSpan('POST /checkout', { kind: SpanKind.SERVER, root: true }, (root: ApiSpan) => {
      root.setAttributes({
        'http.request.method': 'POST',
        'http.route': '/checkout',
        'http.response.status_code': options.error ? 500 : 200,
        'url.path': `/checkout/${t}`,
        'user_agent.original': 'curl/8.5.0',
        'server.address': 'checkout.internal',
        'app.cart.items': t % 7,
        'app.premium': t % 2 === 0,
      });
      for (let c = 0; c < (options.children ?? 2); c++) {
        const child = tracer.startSpan(`SELECT orders ${c}`, { kind: SpanKind.CLIENT });
        child.setAttributes({
          'db.system.name': 'postgresql',
          'db.query.text': 'SELECT * FROM orders WHERE id = $1',
        });
        if (options.withEvents) child.addEvent('retry', { attempt: c });
        child.end();
      }
      if (options.error) {
        root.recordException(new Error('payment declined'));
        root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
      }
      root.end();
    });
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  exporter.reset();
  return [...spans];
}

export function protobufBody(spans: ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}

export function jsonBody(spans: ReadableSpan[]): Uint8Array {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}

export { trace };

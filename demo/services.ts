/**
 * The demo shop: five services, each with its own OpenTelemetry TracerProvider and exporter, calling
 * each other over real HTTP on loopback.
 *
 *   frontend  POST /checkout ─▶ checkout POST /checkout ─┬▶ inventory POST /reserve   (parallel)
 *                                                         ├▶ payments  POST /charge    (parallel)
 *                                                         └▶ orders    POST /orders ─▶ INSERT orders
 *                                                                         └─ send order-events ─▶ queue
 *   inventory  process order-events (consumer, later) ─▶ UPDATE stock
 *
 * The frontend puts the tenant (and the demo's fault plan) into W3C baggage; every service records
 * the tenant on its spans. A planned error makes payments fail (exception event, status ERROR,
 * 503); a planned slow request makes inventory's reservation take `slowMs` longer.
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  callService,
  failSpan,
  type Reply,
  type RunningServer,
  serveRoutes,
  TENANT_KEY,
  tenantOf,
} from './http.ts';
import { MessageQueue } from './queue.ts';
import { integerBetween, seededUniform, seedOf, type Uniform } from './random.ts';
import type { ServiceLog } from './service-log.ts';
import {
  AcceptedSpans,
  type ExporterChoice,
  type ExportTarget,
  PROPAGATOR,
  type ServiceTelemetry,
  serviceTelemetry,
} from './telemetry.ts';

export const SERVICES = ['frontend', 'checkout', 'inventory', 'payments', 'orders'] as const;
export type DemoService = (typeof SERVICES)[number];

/** Baggage entry carrying the demo's fault plan for one request (not recorded on spans). */
export const FAULT_KEY = 'demo.fault';
export type Fault = 'none' | 'error' | 'slow';

/** The queue of the async hop. */
export const ORDER_EVENTS = 'order-events';

// Messaging attribute keys of the OpenTelemetry semantic conventions (still incubating, so not
// exported by the stable entry point of @opentelemetry/semantic-conventions).
const MESSAGING_SYSTEM = 'messaging.system';
const MESSAGING_DESTINATION = 'messaging.destination.name';
const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const MESSAGING_MESSAGE_ID = 'messaging.message.id';

export interface DemoServicesOptions {
  readonly target: ExportTarget;
  /** Exporter per service: the e2e test mixes protobuf/JSON and gzip/none within one trace. */
  readonly exporterOf: (service: DemoService) => ExporterChoice;
  readonly log: ServiceLog;
  readonly seed: number;
  /** Extra latency of a planned slow request. */
  readonly slowMs: number;
  /** Where accepted spans are recorded; a caller watching the run as it goes passes its own. */
  readonly accepted?: AcceptedSpans;
}

export interface DemoServices {
  readonly frontendUrl: string;
  readonly accepted: AcceptedSpans;
  /** Waits for the queue to drain, then exports every span still buffered. */
  flush(): Promise<void>;
  /** Flushes, then stops the servers and the SDKs. */
  stop(): Promise<void>;
}

export interface CheckoutRequest {
  readonly tenant: string;
  readonly fault: Fault;
  readonly items: number;
}

export async function startDemoServices(options: DemoServicesOptions): Promise<DemoServices> {
  const accepted = options.accepted ?? new AcceptedSpans();
  const telemetry = new Map<DemoService, ServiceTelemetry>();
  const tracers = new Map<DemoService, Tracer>();
  const uniforms = new Map<DemoService, Uniform>();
  for (const service of SERVICES) {
    const t = serviceTelemetry(service, options.exporterOf(service), options.target, accepted);
    telemetry.set(service, t);
    tracers.set(service, t.provider.getTracer(`tracesift-demo/${service}`, '1.0.0'));
    uniforms.set(service, seededUniform(seedOf(`${options.seed}:${service}`)));
  }
  const tracer = (service: DemoService) => tracers.get(service) as Tracer;
  const pause = (service: DemoService, minMs: number, maxMs: number) =>
    sleep(integerBetween(uniforms.get(service) as Uniform, minMs, maxMs));
  const log = options.log;
  const fault = (): Fault =>
    (propagation.getBaggage(context.active())?.getEntry(FAULT_KEY)?.value ?? 'none') as Fault;
  const queue = new MessageQueue(ORDER_EVENTS, () =>
    integerBetween(uniforms.get('orders') as Uniform, 5, 40),
  );
  const servers: RunningServer[] = [];

  try {
    const payments = await serveRoutes('payments', tracer('payments'), {
      'POST /charge': async (body) => {
        const amount = (body as { amount?: number } | undefined)?.amount ?? 0;
        return tracer('payments').startActiveSpan('authorize card', async (span) => {
          try {
            await pause('payments', 5, 25);
            span.setAttribute('app.payment.amount', amount);
            if (fault() === 'error') {
              const error = new Error('card processor unavailable');
              error.name = 'ProcessorUnavailable';
              failSpan(span, error.name, error);
              log.log('payments', 'error', 'charge failed', { error: error.message, amount });
              return { status: 503, body: { message: error.message } };
            }
            log.log('payments', 'info', 'charge authorized', { amount });
            return { status: 200, body: { authorized: true } };
          } finally {
            span.end();
          }
        });
      },
    });
    servers.push(payments);

    const inventory = await serveRoutes('inventory', tracer('inventory'), {
      'POST /reserve': async (body) => {
        const items = (body as { items?: number } | undefined)?.items ?? 1;
        await pause('inventory', 3, 15);
        if (fault() === 'slow') {
          log.log('inventory', 'warn', 'stock lock contended, waiting', { waitMs: options.slowMs });
          await sleep(options.slowMs);
        }
        trace.getActiveSpan()?.setAttribute('app.stock.reserved', items);
        log.log('inventory', 'info', 'stock reserved', { items });
        return { status: 200, body: { reserved: items } };
      },
    });
    servers.push(inventory);

    // The consumer: a PROCESS span parented by the producer's context from the message headers, and
    // linked to it as the messaging conventions recommend for single-message processing.
    queue.subscribe(async (message) => {
      const producer = PROPAGATOR.extract(ROOT_CONTEXT, message.headers, defaultTextMapGetter);
      const producerSpan = trace.getSpanContext(producer);
      const links: Link[] = producerSpan ? [{ context: producerSpan }] : [];
      const span = tracer('inventory').startSpan(
        `process ${ORDER_EVENTS}`,
        {
          kind: SpanKind.CONSUMER,
          links,
          attributes: {
            [MESSAGING_SYSTEM]: 'tracesift-demo',
            [MESSAGING_DESTINATION]: ORDER_EVENTS,
            [MESSAGING_OPERATION_TYPE]: 'process',
            [MESSAGING_OPERATION_NAME]: 'process',
            [MESSAGING_MESSAGE_ID]: message.id,
          },
        },
        producer,
      );
      const tenant = tenantOf(producer);
      if (tenant) span.setAttribute(TENANT_KEY, tenant);
      await context.with(trace.setSpan(producer, span), async () => {
        await database('inventory', 'UPDATE', 'stock', 2, 10);
        log.log('inventory', 'info', 'stock decremented for order', { messageId: message.id });
      });
      span.end();
    });

    const orders = await serveRoutes('orders', tracer('orders'), {
      'POST /orders': async (body) => {
        await database('orders', 'INSERT', 'orders', 3, 12);
        const span = tracer('orders').startSpan(`send ${ORDER_EVENTS}`, {
          kind: SpanKind.PRODUCER,
          attributes: {
            [MESSAGING_SYSTEM]: 'tracesift-demo',
            [MESSAGING_DESTINATION]: ORDER_EVENTS,
            [MESSAGING_OPERATION_TYPE]: 'send',
            [MESSAGING_OPERATION_NAME]: 'send',
          },
        });
        const headers: Record<string, string> = {};
        PROPAGATOR.inject(trace.setSpan(context.active(), span), headers, defaultTextMapSetter);
        const id = queue.publish(headers, body);
        span.setAttribute(MESSAGING_MESSAGE_ID, id);
        span.end();
        log.log('orders', 'info', 'order created', { messageId: id });
        return { status: 201, body: { order: id } };
      },
    });
    servers.push(orders);

    const checkout = await serveRoutes('checkout', tracer('checkout'), {
      'POST /checkout': async (body) => {
        const request = body as CheckoutRequest;
        await tracer('checkout').startActiveSpan('price cart', async (span) => {
          await pause('checkout', 1, 6);
          span.setAttribute('app.cart.items', request.items);
          span.end();
        });
        // Stock and payment in parallel: two sibling CLIENT spans that overlap in time.
        const [reserved, charged] = await Promise.all([
          callService(tracer('checkout'), inventory.url, 'POST', '/reserve', { items: request.items }),
          callService(tracer('checkout'), payments.url, 'POST', '/charge', { amount: request.items * 1250 }),
        ]);
        if (reserved.status !== 200 || charged.status !== 200) {
          log.log('checkout', 'error', 'checkout failed', {
            stock: reserved.status,
            payment: charged.status,
          });
          return { status: 502, body: { message: 'checkout failed' } };
        }
        const order = await callService(tracer('checkout'), orders.url, 'POST', '/orders', request);
        log.log('checkout', 'info', 'checkout complete', { items: request.items });
        return { status: order.status === 201 ? 200 : 502, body: order.body };
      },
    });
    servers.push(checkout);

    const frontend = await serveRoutes('frontend', tracer('frontend'), {
      'POST /checkout': async (body, span) => {
        const request = body as CheckoutRequest;
        let baggage = propagation.createBaggage({ [TENANT_KEY]: { value: request.tenant } });
        if (request.fault !== 'none') baggage = baggage.setEntry(FAULT_KEY, { value: request.fault });
        span.setAttribute(TENANT_KEY, request.tenant);
        const reply: Reply = await context.with(propagation.setBaggage(context.active(), baggage), () =>
          callService(tracer('frontend'), checkout.url, 'POST', '/checkout', request),
        );
        const { traceId, spanId } = span.spanContext();
        log.log('frontend', reply.status === 200 ? 'info' : 'error', 'checkout answered', {
          status: reply.status,
          tenant: request.tenant,
        });
        return {
          status: reply.status === 200 ? 200 : 500,
          body: reply.body,
          // W3C Trace Context level 2 `traceresponse`: tells the caller which trace its request made.
          headers: { traceresponse: `00-${traceId}-${spanId}-01` },
        };
      },
    });
    servers.push(frontend);

    const flush = async () => {
      await queue.drain();
      // A refused export rejects forceFlush; those spans are already counted as refused.
      await Promise.allSettled([...telemetry.values()].map((t) => t.forceFlush()));
    };
    return {
      frontendUrl: frontend.url,
      accepted,
      flush,
      stop: async () => {
        await flush();
        await Promise.all(servers.map((s) => s.close()));
        await Promise.allSettled([...telemetry.values()].map((t) => t.shutdown()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([...telemetry.values()].map((t) => t.shutdown()));
    throw error;
  }

  /** A database call as the conventions name it: `{operation} {collection}`, a CLIENT span. */
  async function database(
    service: DemoService,
    operation: string,
    table: string,
    minMs: number,
    maxMs: number,
  ) {
    const span = tracer(service).startSpan(`${operation} ${table}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        'db.collection.name': table,
        'db.namespace': 'shop',
      },
    });
    await pause(service, minMs, maxMs);
    span.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

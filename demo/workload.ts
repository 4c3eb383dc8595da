/**
 * The demo's traffic: checkout requests to the frontend at a Poisson rate, each planned (seeded)
 * as normal, failing or slow, for a duration or a count. Every request's trace id comes back in
 * the frontend's `traceresponse` header, so the plan and the traces can be matched afterwards.
 */
import { request } from 'node:http';
import { exponential, integerBetween, pick, seededUniform } from './random.ts';
import type { CheckoutRequest, Fault } from './services.ts';

export const TENANTS = ['acme', 'globex', 'initech', 'umbrella'] as const;

export interface WorkloadOptions {
  /** Requests per second (mean of the Poisson arrivals). */
  readonly rate: number;
  /** Stop after this many requests, or */
  readonly count?: number;
  /** stop starting requests after this many seconds. */
  readonly durationSeconds?: number;
  /** Share of requests whose payment fails. */
  readonly errorRate: number;
  /** Share of requests whose stock reservation is slow. */
  readonly slowRate: number;
  readonly seed: number;
}

export interface SentRequest {
  readonly traceId: string;
  readonly tenant: string;
  readonly fault: Fault;
  /** HTTP status from the frontend (0 when it could not be reached). */
  readonly status: number;
  readonly durationMs: number;
}

/** A request's fault from one uniform draw: errors first, then slow, the rest normal. */
export function faultOf(draw: number, errorRate: number, slowRate: number): Fault {
  if (draw < errorRate) return 'error';
  if (draw < errorRate + slowRate) return 'slow';
  return 'none';
}

/**
 * Sends the workload; resolves when every request has been answered. `signal` stops starting new
 * requests (Ctrl-C). `onSent` sees each answered request (progress display).
 */
export async function runWorkload(
  frontendUrl: string,
  options: WorkloadOptions,
  signal?: AbortSignal,
  onSent?: (sent: SentRequest) => void,
): Promise<SentRequest[]> {
  const uniform = seededUniform(options.seed);
  const started = Date.now();
  const inFlight: Array<Promise<SentRequest>> = [];
  let due = started;
  for (let i = 0; ; i++) {
    if (options.count !== undefined && i >= options.count) break;
    if (options.durationSeconds !== undefined && due - started >= options.durationSeconds * 1000) break;
    if (signal?.aborted) break;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const plan: CheckoutRequest = {
      tenant: pick(uniform, TENANTS),
      fault: faultOf(uniform(), options.errorRate, options.slowRate),
      items: integerBetween(uniform, 1, 5),
    };
    inFlight.push(
      checkout(frontendUrl, plan).then((sent) => {
        onSent?.(sent);
        return sent;
      }),
    );
    due += exponential(uniform, 1000 / options.rate);
  }
  return Promise.all(inFlight);
}

/** The trace id of a W3C `traceresponse` header (`00-<trace-id>-<span-id>-<flags>`). */
export function traceIdOfTraceResponse(header: string | undefined): string {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header ?? '');
  return match?.[1] ?? '';
}

function checkout(frontendUrl: string, plan: CheckoutRequest): Promise<SentRequest> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, traceresponse?: string) =>
      resolve({
        traceId: traceIdOfTraceResponse(traceresponse),
        tenant: plan.tenant,
        fault: plan.fault,
        status,
        durationMs: performance.now() - started,
      });
    const req = request(
      `${frontendUrl}/checkout`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0, res.headers.traceresponse as string | undefined));
      },
    );
    req.on('error', () => done(0));
    req.end(JSON.stringify(plan));
  });
}

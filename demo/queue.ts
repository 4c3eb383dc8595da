/**
 * An asynchronous in-process message queue: the publisher returns at once, the consumer gets the
 * message later on its own turn of the event loop, so the trace context can only cross the hop
 * inside the message's headers, as it would through a real broker.
 */

export interface QueueMessage {
  readonly id: string;
  /** Carrier of the producer's trace context (traceparent, tracestate, baggage). */
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export type QueueConsumer = (message: QueueMessage) => Promise<void>;

export class MessageQueue {
  public readonly name: string;
  private readonly delayMs: () => number;
  private consumer: QueueConsumer | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private sequence = 0;
  public failures = 0;

  /** `delayMs` is the time a message waits in the queue before delivery. */
  public constructor(name: string, delayMs: () => number) {
    this.name = name;
    this.delayMs = delayMs;
  }

  public subscribe(consumer: QueueConsumer): void {
    this.consumer = consumer;
  }

  /** Enqueues a message and returns its id; delivery happens later. */
  public publish(headers: Record<string, string>, body: unknown): string {
    const id = `${this.name}-${++this.sequence}`;
    const message: QueueMessage = { id, headers: { ...headers }, body };
    const delivery = new Promise<void>((resolve) => setTimeout(resolve, this.delayMs()))
      .then(() => this.consumer?.(message))
      .catch(() => {
        // The consumer records its own failure on its span; the queue only counts it.
        this.failures++;
      })
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    return id;
  }

  /** Resolves when every message published so far has been consumed. */
  public async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** The terminal tree of `npm run trace`, over a hand-built trace whose critical path is known. */
import { describe, expect, it } from 'vitest';
import { formatMs, renderTraceTree } from '../../demo/trace-tree.ts';
import {
  EMPTY_SCOPE,
  makeResource,
  type Span,
  SpanKind,
  type StatusCode,
} from '../../lambdas/shared/span/model.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const MS = 1_000_000n;
const T0 = 1_700_000_000_000n * MS;

const sid = (label: string) => label.padStart(16, '0');

function span(
  id: string,
  parent: string,
  service: string,
  name: string,
  startMs: number,
  endMs: number,
  options: { kind?: SpanKind; status?: StatusCode } = {},
): Span {
  return {
    traceId: TRACE,
    spanId: id.padStart(16, '0'),
    parentSpanId: parent === '' ? '' : parent.padStart(16, '0'),
    traceState: '',
    flags: 1,
    name,
    kind: options.kind ?? SpanKind.SERVER,
    startTimeUnixNano: T0 + BigInt(startMs) * MS,
    endTimeUnixNano: T0 + BigInt(endMs) * MS,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: options.status ?? 0, message: '' },
    resource: makeResource({ 'service.name': service }),
    scope: EMPTY_SCOPE,
  };
}

/**
 * a frontend 0-100 ─ b client 5-95 ─ c checkout 10-90 (ERROR) ─┬ d inventory 15-40
 *                                                               ├ e payments 20-85 (ERROR)
 *                                                               └ g consumer 86-150 (outlives c)
 * f: a span whose parent is not in the trace, 200-210.
 * Critical path (Jaeger): a 10 (0-5, 95-100), b 10 (5-10, 90-95), g 4 (86-90 once clipped to c),
 * e 65 (it ends before g starts), c 11 (85-86 between e and g, 10-20 before e), d none (it ends
 * after e starts), f 10 (its own tree). Per tree the shares add up to the root's duration.
 */
const SPANS: Span[] = [
  span('e', 'c', 'payments', 'POST /charge', 20, 85, { status: 2 }),
  span('a', '', 'frontend', 'POST /checkout', 0, 100),
  span('c', 'b', 'checkout', 'POST /checkout', 10, 90, { status: 2 }),
  span('b', 'a', 'frontend', 'POST /checkout', 5, 95, { kind: SpanKind.CLIENT, status: 1 }),
  span('f', 'ffff', 'orders', 'late work', 200, 210),
  span('d', 'c', 'inventory', 'POST /reserve', 15, 40),
  span('g', 'c', 'inventory', 'process order-events', 86, 150, { kind: SpanKind.CONSUMER }),
];

describe('renderTraceTree', () => {
  it('draws children under their parent in start order, with duration, status and critical path', () => {
    // Act
    const lines = renderTraceTree(
      { traceId: TRACE, policy: 'errors', probability: 1, reason: 'span status ERROR' },
      SPANS,
    ).split('\n');

    // Assess
    expect(lines[0]).toBe(`trace ${TRACE} kept by errors (p=1): span status ERROR`);
    expect(lines[1]).toBe('7 spans, 5 services, 2 with errors, 210 ms');
    const rows = lines.slice(4, 11).map((line) => line.split(/(?<=\S)\s{2,}/));
    expect(rows).toEqual([
      ['frontend', 'POST /checkout', '100 ms', '* 10.0 ms'],
      ['└─ frontend', 'POST /checkout [client]', '90.0 ms', 'OK', '* 10.0 ms'],
      ['   └─ checkout', 'POST /checkout', '80.0 ms', 'ERROR', '* 11.0 ms'],
      ['      ├─ inventory', 'POST /reserve', '25.0 ms'],
      ['      ├─ payments', 'POST /charge', '65.0 ms', 'ERROR', '* 65.0 ms'],
      ['      └─ inventory', 'process order-events [consumer]', '64.0 ms', '* 4.0 ms'],
      [`orders`, `late work (parent ${'ffff'.padStart(16, '0')} not in trace)`, '10.0 ms', '* 10.0 ms'],
    ]);
  });

  it('lists exception events in tree order, with type and message', () => {
    // Prepare: e recorded an exception; d one without a message; other events are not exceptions
    const exception = (attributes: Record<string, string>) => ({
      timeUnixNano: T0,
      name: 'exception',
      attributes,
      droppedAttributesCount: 0,
    });
    const spans = SPANS.map((s) => {
      if (s.spanId === sid('e'))
        return {
          ...s,
          events: [
            { ...exception({}), name: 'retry' },
            exception({
              'exception.type': 'ProcessorUnavailable',
              'exception.message': 'card processor unavailable',
            }),
          ],
        };
      if (s.spanId === sid('d')) return { ...s, events: [exception({})] };
      return s;
    });

    // Act
    const text = renderTraceTree({ traceId: TRACE }, spans);

    // Assess
    expect(text.split('\n').slice(-3)).toEqual([
      'exceptions:',
      '  inventory  POST /reserve: (no message)',
      '  payments  POST /charge: ProcessorUnavailable: card processor unavailable',
    ]);
  });

  it('has no exceptions section when no span recorded one', () => {
    expect(renderTraceTree({ traceId: TRACE }, SPANS)).not.toContain('exceptions:');
  });

  it('shows every span once even when parent links form a cycle', () => {
    // Prepare: x and y name each other as parent (hostile input), z is a proper root
    const spans = [
      span('x', 'y', 'a', 'x', 0, 10),
      span('y', 'x', 'a', 'y', 0, 10),
      span('z', '', 'a', 'z', 0, 10),
    ];

    // Act
    const text = renderTraceTree({ traceId: TRACE }, spans);

    // Assess: the cycle is unreachable from any root, so only z is drawn; nothing loops forever
    expect(text.split('\n')[0]).toBe(`trace ${TRACE}`);
    expect(text).toContain('a  z');
  });
});

describe('formatMs', () => {
  it.each([
    [420_000, '0.42 ms'],
    [999_999, '1.00 ms'],
    [1_000_000, '1.0 ms'],
    [99_940_000, '99.9 ms'],
    [100_000_000, '100 ms'],
    [1_520_400_000, '1520 ms'],
  ])('%d ns is %s', (nano, text) => {
    expect(formatMs(nano)).toBe(text);
  });
});

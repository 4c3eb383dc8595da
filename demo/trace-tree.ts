/**
 * One trace as a tree for the terminal: each span's service, operation, kind, duration and status,
 * and its share of the critical path (the same computation the storage enrichment writes to the
 * Parquet `critical_path_nano` column: the trace-by-id API returns spans, not that column).
 */
import { type Span, SpanKind, StatusCode, spanDurationNano } from '../lambdas/shared/span/model.ts';
import { criticalPathNano } from '../lambdas/storage/index.ts';

export interface TreeHeader {
  readonly traceId: string;
  readonly policy?: string;
  readonly probability?: number;
  readonly reason?: string;
}

const KIND_LABEL: Record<number, string> = {
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** Milliseconds with a precision that suits the size: 0.42 ms, 12.3 ms, 1520 ms. */
export function formatMs(nano: number): string {
  const ms = nano / 1e6;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

interface Row {
  readonly label: string;
  readonly span: Span;
}

/**
 * The tree, one line per span: children under their parent ordered by start time; spans whose
 * parent is not in the trace start trees of their own, marked as such.
 */
export function renderTraceTree(header: TreeHeader, spans: readonly Span[]): string {
  const critical = criticalPathNano(spans);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of spans) {
    if (span.parentSpanId === '' || !ids.has(span.parentSpanId) || span.parentSpanId === span.spanId) {
      roots.push(span);
      continue;
    }
    const list = children.get(span.parentSpanId) ?? [];
    list.push(span);
    children.set(span.parentSpanId, list);
  }
  const byStart = (a: Span, b: Span) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;
  roots.sort(byStart);
  for (const list of children.values()) list.sort(byStart);

  // Depth-first without recursion (a deep trace must not overflow the stack); each span once.
  const rows: Row[] = [];
  const seen = new Set<string>();
  const stack: Array<{ span: Span; prefix: string; branch: string }> = roots
    .map((span) => ({ span, prefix: '', branch: '' }))
    .reverse();
  while (stack.length > 0) {
    const { span, prefix, branch } = stack.pop() as (typeof stack)[number];
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    const kind = KIND_LABEL[span.kind];
    const orphan =
      span.parentSpanId !== '' && !ids.has(span.parentSpanId)
        ? ` (parent ${span.parentSpanId} not in trace)`
        : '';
    rows.push({
      label: `${prefix}${branch}${span.resource.serviceName}  ${span.name}${kind ? ` [${kind}]` : ''}${orphan}`,
      span,
    });
    const kids = children.get(span.spanId) ?? [];
    const childPrefix = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({
        span: kids[i] as Span,
        prefix: childPrefix,
        branch: i === kids.length - 1 ? '└─ ' : '├─ ',
      });
  }

  const width = Math.max(...rows.map((r) => r.label.length), 'service  operation'.length);
  const lines = [
    traceHeadline(header, spans),
    '',
    `${'service  operation'.padEnd(width)}  ${'duration'.padStart(9)}  ${'status'.padEnd(6)}  critical path`,
  ];
  for (const { label, span } of rows) {
    const onPath = critical.get(span.spanId);
    const status =
      span.status.code === StatusCode.ERROR ? 'ERROR' : span.status.code === StatusCode.OK ? 'OK' : '';
    lines.push(
      `${label.padEnd(width)}  ${formatMs(spanDurationNano(span)).padStart(9)}  ${status.padEnd(6)}  ${onPath ? `* ${formatMs(onPath)}` : ''}`.trimEnd(),
    );
  }
  lines.push('', '* on the critical path, with the time this span itself contributes to it');
  const exceptions = exceptionLines(rows.map((r) => r.span));
  if (exceptions.length > 0) lines.push('', 'exceptions:', ...exceptions);
  return lines.join('\n');
}

/**
 * The `exception` events (OpenTelemetry exception conventions) in tree order: where a failure
 * started, which the ERROR statuses of every caller above it do not say.
 */
function exceptionLines(spans: readonly Span[]): string[] {
  const lines: string[] = [];
  for (const span of spans)
    for (const event of span.events) {
      if (event.name !== 'exception') continue;
      const type = event.attributes['exception.type'];
      const message = event.attributes['exception.message'];
      lines.push(
        `  ${span.resource.serviceName}  ${span.name}: ${typeof type === 'string' ? `${type}: ` : ''}${typeof message === 'string' ? message : '(no message)'}`,
      );
    }
  return lines;
}

function traceHeadline(header: TreeHeader, spans: readonly Span[]): string {
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errors = 0;
  for (const span of spans) {
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (end === undefined || span.endTimeUnixNano > end) end = span.endTimeUnixNano;
    if (span.status.code === StatusCode.ERROR) errors++;
  }
  const services = new Set(spans.map((s) => s.resource.serviceName)).size;
  const duration = start !== undefined && end !== undefined && end > start ? Number(end - start) : 0;
  const decision =
    header.policy === undefined
      ? ''
      : ` kept by ${header.policy}${header.probability === undefined ? '' : ` (p=${Number(header.probability.toPrecision(4))})`}${header.reason ? `: ${header.reason}` : ''}`;
  return `trace ${header.traceId}${decision}\n${spans.length} spans, ${services} services, ${errors} with errors, ${formatMs(duration)}`;
}

/**
 * What a tag search matches a span against (pure): the span's tags as Jaeger's query API shows them
 * (lambdas/query/jaeger/translate.ts), its process tags (resource attributes but `service.name`) and
 * its log fields (each event's `event` name and attributes), plus the sampling decision's tags on
 * the trace's root span. Each is the text `key=value`, the value written as Jaeger's
 * KeyValue.AsString writes it: strings as they are, bools `true`/`false`, int64 in decimal, float64
 * as Go's strconv.FormatFloat(v, 'g', 10, 64), binary in lower-case hex, arrays and kvlists as the
 * JSON text the tag shows. Jaeger compares a search's `key=value` with this text exactly.
 *
 * The same terms fill an index entry's filter (search-entries.ts) and verify a candidate trace
 * (table-search.ts), so the filter can never hide a trace the verification would find.
 */
import {
  type Attributes,
  type AttributeValue,
  type Span,
  SpanKind,
  StatusCode,
} from '../../shared/span/model.ts';
import { boundedText, STORED_STRING_BYTES } from '../dynamodb/bounds.ts';
import { jsonTextOf } from './json-text.ts';

/** The sampling decision as the root span's tags carry it (SAMPLING_TAGS of the Jaeger translation). */
export interface RootDecision {
  readonly policy: string;
  readonly probability: number;
  readonly adjustedCount: number;
  readonly threshold: string;
  readonly reason: string;
}

/**
 * The decision's tags as the stored summary gives them (its strings bounded as stored, the adjusted
 * count derived from the probability as a stored trace derives it), so a term written now matches
 * the trace read back.
 */
export function rootDecisionOf(summary: {
  readonly policy: string;
  readonly probability: number;
  readonly threshold: string;
  readonly reason: string;
}): RootDecision {
  return {
    policy: boundedText(summary.policy, STORED_STRING_BYTES.policy).text,
    probability: summary.probability,
    adjustedCount: summary.probability > 0 ? 1 / summary.probability : 0,
    threshold: boundedText(summary.threshold, STORED_STRING_BYTES.threshold).text,
    reason: boundedText(summary.reason, STORED_STRING_BYTES.reason).text,
  };
}

const SPAN_KIND_TEXT: Readonly<Record<number, string>> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** Jaeger's spanKind text of a span kind; '' for an unspecified one. */
export function spanKindText(kind: number): string {
  return SPAN_KIND_TEXT[kind] ?? '';
}

export function searchTerm(key: string, value: string): string {
  return `${key}=${value}`;
}

/** Every term of one span; `root` carries the decision when the span is its trace's root. */
export function searchTermsOf(span: Span, root?: RootDecision): string[] {
  const terms: string[] = [];
  const text = (key: string, value: string): void => {
    if (value !== '') terms.push(searchTerm(key, value));
  };
  text('otel.scope.name', span.scope.name);
  text('otel.scope.version', span.scope.version);
  attributeTerms(span.attributes, terms);
  text('span.kind', spanKindText(span.kind));
  if (span.status.code === StatusCode.OK) text('otel.status_code', 'OK');
  if (span.status.code === StatusCode.ERROR) {
    text('otel.status_code', 'ERROR');
    text('error', 'true');
  }
  text('otel.status_description', span.status.message);
  text('w3c.tracestate', span.traceState);
  if (span.droppedAttributesCount > 0)
    text('otel.dropped_attributes_count', String(span.droppedAttributesCount));
  if (span.droppedEventsCount > 0) text('otel.dropped_events_count', String(span.droppedEventsCount));
  if (span.droppedLinksCount > 0) text('otel.dropped_links_count', String(span.droppedLinksCount));
  if (root) decisionTerms(root, terms);
  attributeTerms(span.resource.attributes, terms, 'service.name');
  for (const event of span.events) {
    if (event.name !== '' && !('event' in event.attributes)) text('event', event.name);
    attributeTerms(event.attributes, terms);
  }
  return terms;
}

function decisionTerms(root: RootDecision, terms: string[]): void {
  terms.push(searchTerm('tracesift.sampling.policy', root.policy));
  terms.push(searchTerm('tracesift.sampling.probability', goFloatText(root.probability)));
  terms.push(searchTerm('tracesift.sampling.adjusted_count', goFloatText(root.adjustedCount)));
  if (root.threshold !== '') terms.push(searchTerm('tracesift.sampling.threshold', root.threshold));
  if (root.reason !== '') terms.push(searchTerm('tracesift.sampling.reason', root.reason));
}

function attributeTerms(attributes: Attributes, terms: string[], skip?: string): void {
  for (const key in attributes) {
    if (key !== skip) terms.push(searchTerm(key, valueText(attributes[key] as AttributeValue)));
  }
}

/** An attribute value as Jaeger's AsString writes the tag the translation makes of it. */
export function valueText(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isSafeInteger(value) ? String(value) : goFloatText(value);
    default:
      break;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return jsonTextOf(value);
}

/**
 * Go's strconv.FormatFloat(v, 'g', 10, 64): ten significant digits (halfway rounded to even),
 * trailing zeros dropped, exponent form when the exponent is below -4 or at least 10 (`1e+21`,
 * `1.5e-07`).
 */
export function goFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  let [digits = '', exponentText = '0'] = value.toExponential(9).split('e');
  // toExponential rounds a value halfway between two ten-digit decimals up, Go to the even one.
  const last = Number(digits.at(-1));
  if (last % 2 === 1 && isHalfway(value)) digits = `${digits.slice(0, -1)}${last - 1}`;
  const exponent = Number(exponentText);
  const mantissa = digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits;
  if (exponent < -4 || exponent >= 10) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return fixedText(mantissa, exponent);
}

/**
 * Whether `value` is exactly halfway between two ten-digit decimals: eleven significant digits, the
 * last a 5. Such a binary fraction has at most 15 decimal places (5^16 > 10^11), so it is a multiple
 * of 2^-15 and toFixed(15) writes it exactly; none reaches 1e21 (its odd part would pass 2^53).
 */
function isHalfway(value: number): boolean {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e21 || !Number.isInteger(magnitude * 2 ** 15)) return false;
  const digits = magnitude.toFixed(15).replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length === 11 && digits.endsWith('5');
}

/** The digits of `mantissa` (d.ddd, maybe signed) written without an exponent. */
function fixedText(mantissa: string, exponent: number): string {
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = exponent + 1;
  let body: string;
  if (point <= 0) body = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) body = digits + '0'.repeat(point - digits.length);
  else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${body}` : body;
}

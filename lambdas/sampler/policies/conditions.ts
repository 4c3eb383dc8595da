/**
 * Attribute conditions of keep and drop rules, compiled once from config: equals, regex, range and
 * exists, on span attributes, resource attributes, or either. Only the spans a rule looks at are
 * decoded, and conditions on resource attributes need no span decoding at all.
 */
import type { AttributeCondition } from '../../shared/config/index.ts';
import type { AttributeValue } from '../../shared/span/model.ts';
import type { TraceView } from '../trace-view.ts';

/** Whether span `index` of the trace satisfies the condition. */
export type SpanTest = (trace: TraceView, index: number) => boolean;

function valueTest(condition: AttributeCondition): (value: AttributeValue | undefined) => boolean {
  switch (condition.op) {
    case 'exists':
      return (value) => value !== undefined;
    case 'equals': {
      const expected = condition.value;
      if (typeof expected === 'number') {
        return (value) =>
          (typeof value === 'number' || typeof value === 'bigint') && Number(value) === expected;
      }
      return (value) => value === expected;
    }
    case 'regex': {
      const pattern = new RegExp(condition.pattern);
      return (value) => typeof value === 'string' && pattern.test(value);
    }
    case 'range': {
      const min = condition.min ?? Number.NEGATIVE_INFINITY;
      const max = condition.max ?? Number.POSITIVE_INFINITY;
      return (value) => {
        if (typeof value !== 'number' && typeof value !== 'bigint') return false;
        const n = Number(value);
        return n >= min && n <= max;
      };
    }
  }
}

export function compileCondition(condition: AttributeCondition): SpanTest {
  const test = valueTest(condition);
  const key = condition.attribute;
  switch (condition.source) {
    case 'resource':
      return (trace, i) => test(trace.resource(i).attributes[key]);
    case 'span':
      return (trace, i) => test(trace.span(i).attributes[key]);
    case 'any':
      return (trace, i) => test(trace.span(i).attributes[key]) || test(trace.resource(i).attributes[key]);
  }
}

/** A rule's conditions, all holding on one span: the root only, or any span. */
export function compileRuleMatcher(
  conditions: readonly AttributeCondition[],
  scope: 'root' | 'any',
): (trace: TraceView) => boolean {
  const tests = conditions.map(compileCondition);
  const holds = (trace: TraceView, index: number): boolean => tests.every((test) => test(trace, index));
  if (scope === 'root') {
    return (trace) => {
      if (!trace.rootSpan) return false;
      const index = trace.spans.indexOf(trace.rootSpan);
      return index >= 0 && holds(trace, index);
    };
  }
  return (trace) => {
    for (let i = 0; i < trace.spans.length; i++) if (holds(trace, i)) return true;
    return false;
  };
}

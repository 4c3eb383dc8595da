/**
 * Limits enforced while decoding (protobuf and JSON alike): what a span, resource or scope may hold
 * is counted as it is read, and what exceeds a limit is skipped unread and counted, never
 * materialised first. A hostile span of millions of empty events or nested values so costs ingest
 * no more memory than a span at the limits.
 */
import { type Attributes, type AttributeValue, newAttributes } from '../span/model.ts';

export interface DecodeLimits {
  /** Attributes of one span, event or link (resource and scope attributes have no count limit). */
  readonly maxAttributes: number;
  readonly maxEvents: number;
  readonly maxLinks: number;
  /**
   * Attribute values materialised for one span with its events and links, or for one resource or
   * scope: every attribute, array element and kvlist entry, at any depth.
   */
  readonly maxValues: number;
  /** Keys whose attributes a redaction rule drops whatever their value, at any depth. */
  readonly dropsKey?: (key: string) => boolean;
}

export const UNLIMITED: DecodeLimits = {
  maxAttributes: Number.POSITIVE_INFINITY,
  maxEvents: Number.POSITIVE_INFINITY,
  maxLinks: Number.POSITIVE_INFINITY,
  maxValues: Number.POSITIVE_INFINITY,
};

/** What decoding cut, for the ingest metrics. */
export interface CutCounts {
  /** Attributes, events, links and nested values beyond a limit. */
  itemsDropped: number;
  /** Attributes dropped by a redaction rule. */
  attributesRedacted: number;
}

export function newCutCounts(): CutCounts {
  return { itemsDropped: 0, attributesRedacted: 0 };
}

/** The value budget of one span (with its events and links), resource or scope being decoded. */
export class ValueBudget {
  public readonly limits: DecodeLimits;
  public readonly counts: CutCounts;
  private left: number;

  public constructor(limits: DecodeLimits, counts: CutCounts) {
    this.limits = limits;
    this.counts = counts;
    this.left = limits.maxValues;
  }

  /** Takes one value from the budget; false (and counted) once it is spent. */
  public take(): boolean {
    if (this.left <= 0) {
      this.counts.itemsDropped++;
      return false;
    }
    this.left--;
    return true;
  }

  /** Counts `n` items dropped by a count limit. */
  public dropped(n: number): void {
    this.counts.itemsDropped += n;
  }
}

/** One attribute map (or kvlist) being filled: decides key by key whether a value is read at all. */
export class AttributeCollector {
  public readonly map: Attributes = newAttributes();
  /** Attributes left out: beyond the count limit, over the budget, or dropped by a redaction rule. */
  public dropped = 0;
  public readonly budget: ValueBudget;
  private kept = 0;
  private readonly max: number;

  public constructor(budget: ValueBudget, max: number) {
    this.budget = budget;
    this.max = max;
  }

  /** Whether the value of `key` is to be read; when not, it is counted as dropped. */
  public admits(key: string): boolean {
    if (this.budget.limits.dropsKey?.(key)) {
      this.budget.counts.attributesRedacted++;
      this.dropped++;
      return false;
    }
    // A repeated key replaces its value, as protobuf map semantics do, and takes no new place.
    if ((key in this.map || this.kept < this.max) && this.budget.take()) return true;
    if (this.kept >= this.max && !(key in this.map)) this.budget.dropped(1);
    this.dropped++;
    return false;
  }

  public set(key: string, value: AttributeValue): void {
    if (!(key in this.map)) this.kept++;
    this.map[key] = value;
  }
}

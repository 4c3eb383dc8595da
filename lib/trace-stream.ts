/**
 * The Kinesis stream between ingest and the sampler: the durable buffer that lets ingest answer
 * 200 as soon as spans are written (DESIGN.md, invariant 2).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { InvalidPropError } from './errors.ts';
import { acknowledge } from './nag.ts';
import { checkDuration, checkInteger } from './validation.ts';

/** Kinesis bounds: retention from 24 hours to 365 days; a provisioned stream has at least one shard. */
export const STREAM_LIMITS = {
  minRetention: Duration.hours(24),
  maxRetention: Duration.days(365),
  /** Regional shard quotas differ (500 to 20,000 by default); this is only a sanity bound. */
  maxShards: 20_000,
} as const;

export interface TraceStreamProps {
  /**
   * Capacity mode. On-demand scales its shards with the traffic; provisioned costs less at a
   * steady, known rate.
   * @default kinesis.StreamMode.ON_DEMAND
   */
  readonly streamMode?: kinesis.StreamMode;
  /**
   * Shards of a provisioned stream (each takes 1 MB/s or 1,000 records/s of writes). Required when
   * `streamMode` is PROVISIONED, refused when it is ON_DEMAND.
   * @default - none (on-demand)
   */
  readonly shardCount?: number;
  /**
   * How long records stay in the stream. Longer retention gives more time to recover from a
   * sampler outage before records expire; beyond 24 hours it is billed per shard-hour.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Customer-managed key to encrypt the stream with.
   * @default - the AWS-managed key `alias/aws/kinesis`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the stream when the stack is deleted. Records are transient (the sampler has
   * consumed them, or they are in the failed-batches bucket), while a retained stream keeps
   * billing by the hour with nothing reading it.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A stream to use instead of creating one (e.g. shared with other producers). tracesift then
   * configures nothing on it: `streamMode`, `shardCount`, `encryptionKey` and `removalPolicy` are
   * refused, and `retentionPeriod` states the stream's retention, which bounds the sampler's
   * `maxRecordAge` (24 hours, the Kinesis minimum, is assumed unless it is given). A stream
   * encrypted with a customer key must be imported with that key (`Stream.fromStreamAttributes`
   * with `encryptionKey`) for the functions to be granted its use.
   * @default - a new stream
   */
  readonly existingStream?: kinesis.IStream;
}

/** Props that configure a new stream, refused with `existingStream`. */
const NEW_STREAM_PROPS = ['streamMode', 'shardCount', 'encryptionKey', 'removalPolicy'] as const;

export class TraceStream extends Construct {
  public readonly stream: kinesis.IStream;
  /** Undefined for an existing stream, whose mode tracesift does not know. */
  public readonly streamMode: kinesis.StreamMode | undefined;
  /** The stream's retention (as stated by the `retentionPeriod` prop for an existing stream). */
  public readonly retentionPeriod: Duration;

  public constructor(scope: Construct, id: string, props: TraceStreamProps = {}) {
    super(scope, id);
    this.retentionPeriod = checkDuration(
      this,
      'retentionPeriod',
      props.retentionPeriod ?? STREAM_LIMITS.minRetention,
      STREAM_LIMITS.minRetention,
      STREAM_LIMITS.maxRetention,
    );
    if (
      !this.retentionPeriod.isUnresolved() &&
      !Number.isInteger(this.retentionPeriod.toHours({ integral: false }))
    ) {
      throw new InvalidPropError(
        this.node.path,
        'retentionPeriod',
        this.retentionPeriod.toHumanString(),
        'must be a whole number of hours',
      );
    }
    if (props.existingStream) {
      this.checkNoNewStreamProps(props);
      this.streamMode = undefined;
      this.stream = props.existingStream;
      return;
    }
    this.streamMode = props.streamMode ?? kinesis.StreamMode.ON_DEMAND;
    const shardCount = this.shardCountFor(this.streamMode, props.shardCount);

    const stream = new kinesis.Stream(this, 'Stream', {
      streamMode: this.streamMode,
      ...(shardCount !== undefined ? { shardCount } : {}),
      retentionPeriod: this.retentionPeriod,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      ...(props.encryptionKey
        ? { encryption: kinesis.StreamEncryption.KMS, encryptionKey: props.encryptionKey }
        : // KMS with the AWS-managed key: encrypted at rest with no key to pay for or manage.
          { encryption: kinesis.StreamEncryption.MANAGED }),
    });
    this.stream = stream;
    if (props.encryptionKey) {
      acknowledge(
        stream,
        'KDS3',
        'A customer-managed key was asked for (encryptionKey prop), e.g. for key policies or audit; ' +
          'the default is the AWS-managed alias/aws/kinesis.',
      );
    }
  }

  private checkNoNewStreamProps(props: TraceStreamProps): void {
    for (const prop of NEW_STREAM_PROPS) {
      if (props[prop] !== undefined) {
        throw new InvalidPropError(
          this.node.path,
          prop,
          props[prop],
          'applies only to a stream tracesift creates, not to existingStream',
        );
      }
    }
  }

  private shardCountFor(mode: kinesis.StreamMode, shardCount: number | undefined): number | undefined {
    if (mode === kinesis.StreamMode.ON_DEMAND) {
      if (shardCount !== undefined) {
        throw new InvalidPropError(
          this.node.path,
          'shardCount',
          shardCount,
          'applies only to a PROVISIONED stream (an on-demand stream manages its own shards)',
        );
      }
      return undefined;
    }
    if (shardCount === undefined) {
      throw new InvalidPropError(
        this.node.path,
        'shardCount',
        shardCount,
        'is required for a PROVISIONED stream',
      );
    }
    return checkInteger(this, 'shardCount', shardCount, 1, STREAM_LIMITS.maxShards);
  }
}

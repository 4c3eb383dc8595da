/** aws-sdk-client-mock answers for Kinesis that behave like a stream with evenly split shards. */
import type {
  ListShardsCommandOutput,
  PutRecordsCommandInput,
  PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { MAX_HASH_KEY } from '../../lambdas/shared/routing/index.ts';

export function listShardsOutput(count: number): Partial<ListShardsCommandOutput> {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  return {
    Shards: Array.from({ length: count }, (_, i) => ({
      ShardId: `shardId-${String(i).padStart(12, '0')}`,
      HashKeyRange: {
        StartingHashKey: String(width * BigInt(i)),
        EndingHashKey: String(i === count - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n),
      },
      SequenceNumberRange: { StartingSequenceNumber: '1' },
    })),
  };
}

/** Accepts every entry, placing it on the shard of its ExplicitHashKey among `count` even shards. */
export function acceptAll(count: number) {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  let sequence = 0;
  return (input: PutRecordsCommandInput): Partial<PutRecordsCommandOutput> => ({
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((entry) => {
      const index = Math.min(count - 1, Number(BigInt(entry.ExplicitHashKey ?? '0') / width));
      return { SequenceNumber: String(++sequence), ShardId: `shardId-${String(index).padStart(12, '0')}` };
    }),
  });
}

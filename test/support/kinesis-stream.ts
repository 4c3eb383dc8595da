/** Reading a (stand-in) Kinesis stream back in tests: every record of every shard, with its shard. */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

export async function readAllRecords(client: KinesisClient, streamName: string): Promise<StoredRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const out: StoredRecord[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId as string;
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const r of page.Records ?? []) {
        out.push({
          shardId,
          sequenceNumber: r.SequenceNumber as string,
          partitionKey: r.PartitionKey as string,
          data: r.Data as Uint8Array,
        });
      }
      if ((page.Records ?? []).length === 0 || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

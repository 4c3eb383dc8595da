// Ad-hoc (not committed): every record in the local stream, by origin: records, spans, bytes.
import { readFileSync } from 'node:fs';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { decodeRecordHeader } from '../lambdas/shared/record/codec.ts';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const e = JSON.parse(readFileSync(`${process.argv[2]}/endpoints.json`, 'utf8'));
const k = new KinesisClient({ endpoint: e.kinesis, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler() });
const shards = (await k.send(new ListShardsCommand({ StreamName: e.streamName }))).Shards ?? [];
const by = new Map<number, { records: number; spans: number; bytes: number }>();
for (const s of shards) {
  let it = (await k.send(new GetShardIteratorCommand({ StreamName: e.streamName, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  for (let i = 0; it && i < 100_000; i++) {
    const r = await k.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
    for (const rec of r.Records ?? []) {
      const { header } = decodeRecordHeader(rec.Data as Uint8Array);
      const b = by.get(header.origin) ?? { records: 0, spans: 0, bytes: 0 };
      b.records++; b.spans += header.spanCount; b.bytes += (rec.Data as Uint8Array).length + (rec.PartitionKey?.length ?? 0);
      by.set(header.origin, b);
    }
    if (!r.Records?.length && (r.MillisBehindLatest ?? 0) === 0) break;
    it = r.NextShardIterator;
  }
}
const names = ['ingest', 'deferred', 'forwarded', 'wake-up'];
const ingest = by.get(0) ?? { records: 0, spans: 0, bytes: 0 };
let spans = 0, bytes = 0, records = 0;
for (const [o, b] of [...by].sort()) { console.log(names[o], JSON.stringify(b)); spans += b.spans; bytes += b.bytes; records += b.records; }
console.log(`stream spans per accepted span ${(spans / ingest.spans).toFixed(3)}  stream bytes per accepted span ${(bytes / ingest.spans).toFixed(1)} (ingest alone ${(ingest.bytes / ingest.spans).toFixed(1)})  records ${records}`);

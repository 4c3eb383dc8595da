/**
 * Route: a trace whose hash key lies outside this shard's range (records put before a reshard, or
 * by a client with an older shard map) is forwarded to its owner; the rest are this shard's.
 */
import { type ShardRange, shardOwns, traceHashKey } from '../shared/routing/index.ts';
import type { BatchAssembly, TraceAssembly } from './batch.ts';
import { carryOf, type OutgoingTrace } from './reput.ts';

export interface OwnedTrace {
  readonly trace: TraceAssembly;
  readonly hashKey: bigint;
}

export interface Routed {
  readonly forwarded: OutgoingTrace[];
  readonly owned: OwnedTrace[];
}

/** With no known range (listing unavailable) every trace is taken as this shard's. */
export function route(assembly: BatchAssembly, own: ShardRange | undefined): Routed {
  const forwarded: OutgoingTrace[] = [];
  const owned: OwnedTrace[] = [];
  for (const trace of assembly.traces.values()) {
    const hashKey = traceHashKey(trace.idBytes, trace.idAt);
    if (own && !shardOwns(own, hashKey))
      forwarded.push({ trace, hashKey, carry: carryOf(trace, trace.deferrals) });
    else owned.push({ trace, hashKey });
  }
  return { forwarded, owned };
}

import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { BufferProtobufWriter } from './protobuf-writer.js';

/** What the OTLP export requests group by: log records and spans alike. */
export interface ResourceScoped {
  resource: Resource;
  instrumentationScope: InstrumentationScope;
}

export type WriteResourceGroup<T> = (writer: BufferProtobufWriter, resource: Resource, scopes: Map<InstrumentationScope, T[]>) => void;

/**
 * An OTLP export request (ExportLogsServiceRequest, ExportTraceServiceRequest: field 1 repeats
 * the resource groups) written in one pass.
 *
 * The SDK's serializers walk every item twice, once to estimate the size of the buffer and once
 * to write it; the estimate alone was 15% of the CPU of 50-event deliveries (BENCHMARKS.md).
 * Here the buffer is sized from the bytes per item of the previous request and grows (doubling)
 * when a request needs more.
 */
export function onePassRequest<T extends ResourceScoped>(writeResourceGroup: WriteResourceGroup<T>): (items: T[]) => Uint8Array {
  let bytesPerItem = 1024;
  return (items) => {
    const writer = new BufferProtobufWriter(Math.ceil(items.length * bytesPerItem * 1.25) + 4096);
    for (const [resource, scopes] of groupByResourceAndScope(items)) {
      writer.writeTag(1, 2);
      writeResourceGroup(writer, resource, scopes);
    }
    const bytes = writer.finish();
    if (items.length > 0) bytesPerItem = Math.max(64, bytes.length / items.length);
    return bytes;
  };
}

/** By object identity, in order of first appearance, as the SDK's serializers group. */
function groupByResourceAndScope<T extends ResourceScoped>(items: T[]): Map<Resource, Map<InstrumentationScope, T[]>> {
  const byResource = new Map<Resource, Map<InstrumentationScope, T[]>>();
  for (const item of items) {
    let byScope = byResource.get(item.resource);
    if (!byScope) {
      byScope = new Map();
      byResource.set(item.resource, byScope);
    }
    let list = byScope.get(item.instrumentationScope);
    if (!list) {
      list = [];
      byScope.set(item.instrumentationScope, list);
    }
    list.push(item);
  }
  return byResource;
}

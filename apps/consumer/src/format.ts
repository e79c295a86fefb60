import type { Envelope } from '@zmq-mq/protocol';

/**
 * One message as one JSON line: `{"topic","meta","body"}`. Bytes (a raw body, or binary inside
 * a msgpack body) print as base64 strings, and a raw body adds `"encoding":"base64"`; integers
 * beyond 2^53 (msgpack int64, decoded to bigint) print as decimal strings.
 */
export function formatEnvelope(env: Envelope<unknown>): string {
  return format({}, env);
}

/** A durable-queue delivery: `{"queue","attempt","topic","meta","body"}` (as formatEnvelope). */
export function formatDelivery(d: Envelope<unknown> & { queue: string; attempt: number }): string {
  return format({ queue: d.queue, attempt: d.attempt }, d);
}

function format(first: Record<string, unknown>, env: Envelope<unknown>): string {
  const bytes = env.body instanceof Uint8Array;
  return JSON.stringify(
    {
      ...first,
      topic: env.topic,
      meta: env.meta,
      body: env.body,
      ...(bytes ? { encoding: 'base64' } : {}),
    },
    replacer,
  );
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  // Buffer has toJSON, so by now it is { type: 'Buffer', data: [...] }; catch both shapes.
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (isBufferJson(value)) return Buffer.from(value.data).toString('base64');
  return value;
}

function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  );
}

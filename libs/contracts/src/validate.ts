/** What a field of a body must be: `number` is a finite number. */
export type FieldKind = 'string' | 'number' | 'boolean';

/** The kind of a field of type `V`; a type no kind describes gives `never` (not declarable). */
type KindOf<V> = V extends string
  ? 'string'
  : V extends number
    ? 'number'
    : V extends boolean
      ? 'boolean'
      : never;

/** One kind per field of `T`, checked against `T` at compile time. */
export type Shape<T> = { readonly [K in keyof T]-?: KindOf<T[K]> };

function isKind(value: unknown, kind: FieldKind): boolean {
  return kind === 'number'
    ? typeof value === 'number' && Number.isFinite(value)
    : typeof value === kind;
}

/**
 * A runtime validator for a flat object body: returns the body typed as `T` when it is an
 * object and every field of `shape` has its kind, and throws an `Error` naming the first field
 * that does not (a Subscriber or Worker reports it as `ZMQMQ_ERR_VALIDATION`). Fields outside
 * `shape` are kept as they came.
 */
export function fields<T>(shape: Shape<T>): (body: unknown) => T {
  const expected = Object.entries(shape) as [string, FieldKind][];
  return (body: unknown): T => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error(`expected an object, got ${body === null ? 'null' : typeof body}`);
    }
    const record = body as Record<string, unknown>;
    for (const [name, kind] of expected) {
      if (!isKind(record[name], kind)) {
        throw new Error(`field ${name} must be a ${kind}, got ${describe(record[name])}`);
      }
    }
    return body as T;
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

import fc from 'fast-check';
import { parseQueueDefinition, parseStoreOptions, queueTakesTopic, StoreErrorCode } from '../src';

describe('parseQueueDefinition', () => {
  it('keeps what it was given and fills the rest', () => {
    const def = parseQueueDefinition({
      name: 'a.B_c-1',
      prefixes: ['x', 'y', 'x'],
      maxMessages: 5,
      maxBytes: 10,
      maxAgeMs: 1000,
      overflow: 'drop-oldest',
      maxDeadMessages: 0,
    });
    expect(def).toEqual({
      name: 'a.B_c-1',
      prefixes: ['x', 'y'],
      maxMessages: 5,
      maxBytes: 10,
      maxAgeMs: 1000,
      overflow: 'drop-oldest',
      maxDeadMessages: 0,
    });
  });

  it('is idempotent on its own output', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
        fc.array(fc.stringMatching(/^[a-z.]{0,20}$/), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (name, prefixes, maxMessages) => {
          const once = parseQueueDefinition({ name, prefixes, maxMessages });
          expect(parseQueueDefinition(once)).toEqual(once);
        },
      ),
    );
  });

  it('refuses a non-object and names the field', () => {
    expect(() => parseQueueDefinition(null)).toThrow(
      expect.objectContaining({ field: 'definition' }),
    );
    expect(() => parseQueueDefinition({ name: 'q', prefixes: ['\u0001'] })).toThrow(
      expect.objectContaining({ code: StoreErrorCode.InvalidDefinition, field: 'prefixes' }),
    );
    expect(() => parseQueueDefinition({ name: 'q', prefixes: ['x'.repeat(256)] })).toThrow(
      /255 UTF-8 bytes/,
    );
  });

  it('matches topics by prefix', () => {
    const def = parseQueueDefinition({ name: 'q', prefixes: ['orders.', 'audit'] });
    expect(queueTakesTopic(def, 'orders.created')).toBe(true);
    expect(queueTakesTopic(def, 'audit')).toBe(true);
    expect(queueTakesTopic(def, 'order')).toBe(false);
    expect(queueTakesTopic(parseQueueDefinition({ name: 'all', prefixes: [''] }), 'x')).toBe(true);
  });
});

describe('parseStoreOptions', () => {
  it('fills defaults and refuses bad values naming the option', () => {
    expect(parseStoreOptions()).toMatchObject({ maxDeliveries: 5, dedupWindowMs: 120_000 });
    expect(() => parseStoreOptions({ maxDeliveries: 251 })).toThrow(
      expect.objectContaining({
        code: StoreErrorCode.InvalidOption,
        option: 'maxDeliveries',
        value: 251,
      }),
    );
    expect(() => parseStoreOptions({ dedupWindowMs: 0 })).toThrow(/dedupWindowMs/);
  });
});

import fc from 'fast-check';
import { OptionError } from '../src/errors';
import { parseChoice, parseInteger, parseIntegerText } from '../src/option-values';
import { PUSH_FORMATS } from '../src/push-format';
import { isZmqError } from '../src/zmq-error';
import { optionProblem } from '../src/testing';

describe('parseInteger', () => {
  it('returns every whole number within the range, and refuses every one outside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (n) => {
        const inside = n >= 0 && n <= 100;
        const parse = (): number => parseInteger('n', n, { min: 0, max: 100 });
        if (inside) expect(parse()).toBe(n);
        else expect(optionProblem(parse)).toBe(`n: must be an integer 0..100 (got ${n})`);
      }),
    );
  });

  it('words the range, or says what the option says', () => {
    expect(optionProblem(() => parseInteger('count', 0, { min: 1 }))).toBe(
      'count: must be an integer >= 1 (got 0)',
    );
    expect(optionProblem(() => parseInteger('--n', 1.5, { min: 0, what: 'a whole number' }))).toBe(
      '--n: must be a whole number (got 1.5)',
    );
    expect(optionProblem(() => parseInteger('n', 2 ** 53, { min: 0 }))).toContain('n: must be');
  });

  it('takes digits in a string only with `text` (flags and environment variables)', () => {
    expect(parseInteger('--n', ' 42 ', { min: 0, text: true })).toBe(42);
    for (const value of ['4 2', '0x10', '1e3', '', '-1']) {
      expect(() => parseInteger('--n', value, { min: 0, text: true })).toThrow(OptionError);
    }
    expect(optionProblem(() => parseInteger('n', '42', { min: 0 }))).toBe(
      'n: must be an integer >= 0 (got "42")',
    );
  });
});

describe('parseChoice', () => {
  it('returns one of the choices and names them all when the value is none of them', () => {
    expect(parseChoice('pushFormat', 'full', PUSH_FORMATS)).toBe('full');
    expect(optionProblem(() => parseChoice('pushFormat', 'Full', PUSH_FORMATS))).toBe(
      'pushFormat: must be one of payload, full (got "Full")',
    );
    expect(() => parseChoice('pushFormat', 1, PUSH_FORMATS)).toThrow(OptionError);
  });
});

describe('isZmqError', () => {
  it('recognises a zeromq error by its code, never by its message', () => {
    const busy = Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
    expect(isZmqError(busy, 'EBUSY')).toBe(true);
    expect(isZmqError(busy, 'EAGAIN')).toBe(false);
    expect(isZmqError(new Error('EAGAIN'), 'EAGAIN')).toBe(false);
    for (const value of [undefined, null, 'EAGAIN', 11]) {
      expect(isZmqError(value, 'EAGAIN')).toBe(false);
    }
  });
});

describe('parseIntegerText', () => {
  it('reads decimal digits within the range; no text stays undefined', () => {
    expect(parseIntegerText('--count', '0', 0)).toBe(0);
    expect(parseIntegerText('--count', '42', 1, 100)).toBe(42);
    expect(parseIntegerText('--count', undefined, 1)).toBeUndefined();
    expect(parseIntegerText('--count', ' 7 ', 0)).toBe(7); // as flags and variables come
  });

  it.each([
    ['x', 1, undefined, '--n: must be an integer >= 1 (got "x")'],
    ['-1', 0, undefined, '--n: must be an integer >= 0 (got "-1")'],
    ['1.5', 0, undefined, '--n: must be an integer >= 0 (got "1.5")'],
    ['0', 1, 10, '--n: must be an integer 1..10 (got "0")'],
    ['11', 1, 10, '--n: must be an integer 1..10 (got "11")'],
    ['9007199254740993', 0, undefined, '--n: must be an integer >= 0 (got "9007199254740993")'],
  ])(
    'refuses %j (min %d, max %s) naming the flag and quoting the text once',
    (text, min, max, message) => {
      expect(() => parseIntegerText('--n', text, min, max)).toThrow(message);
      expect(() => parseIntegerText('--n', text, min, max)).toThrow(
        expect.objectContaining({ code: 'ZMQMQ_ERR_INVALID_OPTION' }) as Error,
      );
    },
  );
});

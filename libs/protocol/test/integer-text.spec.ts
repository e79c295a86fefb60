import { parseIntegerText } from '../src';

describe('parseIntegerText', () => {
  it('reads decimal digits within the range; no text stays undefined', () => {
    expect(parseIntegerText('--count', '0', 0)).toBe(0);
    expect(parseIntegerText('--count', '42', 1, 100)).toBe(42);
    expect(parseIntegerText('--count', undefined, 1)).toBeUndefined();
  });

  it.each([
    ['x', 1, undefined, '--n: must be an integer >= 1 (got "x")'],
    ['-1', 0, undefined, '--n: must be an integer >= 0 (got "-1")'],
    ['1.5', 0, undefined, '--n: must be an integer >= 0 (got "1.5")'],
    [' 7', 0, undefined, '--n: must be an integer >= 0 (got " 7")'],
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

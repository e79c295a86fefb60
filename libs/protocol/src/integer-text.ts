import { OptionError } from './errors';

/**
 * A whole number written in decimal digits, as a command-line flag gives it, within [min, max];
 * `undefined` (the flag not given) stays `undefined`. Anything else throws `OptionError` naming
 * `option` and the text: `--count: must be an integer >= 1 (got "x")`.
 */
export function parseIntegerText(
  option: string,
  text: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new OptionError(option, text, `must be an integer ${range}`);
  }
  return n;
}

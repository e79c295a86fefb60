/**
 * Checks of option values shared by the broker and the SDK: each throws `OptionError` naming
 * the option (as the user wrote it: a flag, an environment variable or a field) and the value.
 */
import { OptionError } from './errors';

/** The bounds of an integer option and how its error words them. */
export interface IntegerRange {
  min: number;
  /** Number.MAX_SAFE_INTEGER when left out. */
  max?: number;
  /** What the error says the value must be; by default `an integer >= min` or `an integer min..max`. */
  what?: string;
  /** Also take the digits of a string, spaces around them allowed (flags, environment variables). */
  text?: boolean;
}

/** A whole number within `range`. */
export function parseInteger(option: string, value: unknown, range: IntegerRange): number {
  const { min, max = Number.MAX_SAFE_INTEGER } = range;
  const n =
    typeof value === 'number'
      ? value
      : range.text === true && typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new OptionError(option, value, `must be ${range.what ?? `an integer ${bounds}`}`);
  }
  return n;
}

/** One of a fixed set of names. */
export function parseChoice<T extends string>(
  option: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) {
    return value as T;
  }
  throw new OptionError(option, value, `must be one of ${choices.join(', ')}`);
}

/**
 * A flag's text as a whole number within [min, max] (`parseInteger` with `text`); `undefined`
 * (the flag not given) stays `undefined`.
 */
export function parseIntegerText(
  option: string,
  text: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  return text === undefined ? undefined : parseInteger(option, text, { min, max, text: true });
}

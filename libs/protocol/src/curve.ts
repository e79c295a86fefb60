/**
 * CURVE keys as ZeroMQ writes them (Z85, 40 characters for 32 bytes), and the two files a key
 * pair lives in: `NAME.key`, the secret (a ZeroMQ certificate, the layout czmq writes and
 * pyzmq's `zmq.auth.load_certificate()` reads), and `NAME.pub`, one key-list line (`KEY NAME`)
 * that goes as it is into a broker's allowlist or a client's `--server-key` file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { KeyError } from './errors';

/** Characters of a Z85 key: 32 bytes, 5 characters for every 4. */
export const CURVE_KEY_CHARS = 40;
/** Bytes of a CURVE key. */
export const CURVE_KEY_BYTES = 32;

const Z85_ALPHABET =
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUE = new Map([...Z85_ALPHABET].map((c, i) => [c, i]));

/** Z85 of `bytes` (ZeroMQ RFC 32); the length must be a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError('Z85 encodes a multiple of 4 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = view.getUint32(i);
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85_ALPHABET[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/**
 * The bytes of Z85 `text`; undefined when it is not Z85 (a length not a multiple of 5, a
 * character outside the alphabet, a group above 2^32 - 1).
 */
export function z85Decode(text: string): Buffer | undefined {
  if (text.length % 5 !== 0) return undefined;
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85_VALUE.get(text[i + j] as string);
      if (digit === undefined) return undefined;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return undefined;
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** What is wrong with `text` as a Z85 CURVE key, or undefined when it is one. */
export function curveKeyProblem(text: string): string | undefined {
  if (text.length !== CURVE_KEY_CHARS) {
    return `a CURVE key is ${CURVE_KEY_CHARS} Z85 characters, not ${text.length}`;
  }
  return z85Decode(text) === undefined ? 'is not Z85 text' : undefined;
}

/** A CURVE key pair, each key in Z85. */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

// DER around a raw X25519 key: PKCS #8 for a private key, SubjectPublicKeyInfo for a public one.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The public key of a Z85 secret key: X25519, as libzmq's `zmq_curve_public` computes it (CURVE
 * is Curve25519). Throws `KeyError` when `secretKey` is not a key.
 */
export function curvePublicKey(secretKey: string, source = 'secret key'): string {
  const problem = curveKeyProblem(secretKey);
  if (problem !== undefined) throw new KeyError(source, problem);
  const raw = z85Decode(secretKey) as Buffer;
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return z85Encode(spki.subarray(spki.length - CURVE_KEY_BYTES));
}

/** A new CURVE key pair from the operating system's random source. */
export function generateCurveKeyPair(): CurveKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const secret = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    publicKey: z85Encode(spki.subarray(spki.length - CURVE_KEY_BYTES)),
    secretKey: z85Encode(secret.subarray(secret.length - CURVE_KEY_BYTES)),
  };
}

/** Longest name a key-list line may give its key (characters). */
export const MAX_KEY_NAME_CHARS = 64;

/** One key of a key list, with the name after it (or the key's first 8 characters). */
export interface KeyListEntry {
  key: string;
  name: string;
  /** 1-based line number. */
  line: number;
}

/** A line of a key list that could not be read, and why. */
export interface KeyListProblem {
  line: number;
  problem: string;
}

/** What `parseKeyList` read: the keys, and each line it could not read (skipped). */
export interface KeyList {
  entries: KeyListEntry[];
  problems: KeyListProblem[];
}

/**
 * A key list: one Z85 public key a line, optionally followed by a name (the rest of the line:
 * what logs and metrics call that key); blank lines and lines starting with `#` are skipped.
 * A line that is not a key, or that repeats a key, is reported in `problems` and left out, so
 * that a typo refuses only its own line.
 */
export function parseKeyList(text: string): KeyList {
  const entries: KeyListEntry[] = [];
  const problems: KeyListProblem[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const [key = '', ...rest] = trimmed.split(/\s+/);
    const problem = curveKeyProblem(key);
    if (problem !== undefined) {
      problems.push({ line, problem: `${JSON.stringify(key.slice(0, 48))} ${problem}` });
      return;
    }
    const name = rest.join(' ');
    if (name.length > MAX_KEY_NAME_CHARS || /[\p{Cc}"]/u.test(name)) {
      problems.push({
        line,
        problem: `the name must be at most ${MAX_KEY_NAME_CHARS} characters, with no control character or "`,
      });
      return;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ line, problem: `repeats the key of line ${first}` });
      return;
    }
    seen.set(key, line);
    entries.push({ key, name: name === '' ? key.slice(0, 8) : name, line });
  });
  return { entries, problems };
}

/** A key pair file's content: the pair, and the name it gives (`metadata` `name`). */
export interface KeyPairFile extends CurveKeyPair {
  name: string | undefined;
}

/**
 * A secret key file (`NAME.key`, a ZeroMQ certificate): its `secret-key` line, and its
 * `public-key` line when there is one (it must be the secret key's public key; without it the
 * public key is computed). `source` names the file in errors. Throws `KeyError`.
 */
export function parseKeyPairFile(text: string, source: string): KeyPairFile {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^\\s*${name}\\s*=\\s*"?([^"\\s]*)"?\\s*$`, 'm').exec(text);
    return m?.[1];
  };
  const secretKey = field('secret-key');
  if (secretKey === undefined) {
    throw new KeyError(source, 'has no secret-key line: is it the .key file of a key pair?');
  }
  const problem = curveKeyProblem(secretKey);
  if (problem !== undefined) throw new KeyError(source, `secret-key ${problem}`);
  const computed = curvePublicKey(secretKey, source);
  const stated = field('public-key');
  if (stated !== undefined && stated !== computed) {
    throw new KeyError(source, 'public-key is not the public key of secret-key');
  }
  return { publicKey: computed, secretKey, name: field('name') };
}

/**
 * A public key file: the first key of a key list (`NAME.pub`, or an allowlist line). `source`
 * names the file in errors. Throws `KeyError` when it holds no key.
 */
export function parsePublicKeyFile(text: string, source: string): KeyListEntry {
  const { entries, problems } = parseKeyList(text);
  const first = entries[0];
  if (first !== undefined && (problems[0] === undefined || problems[0].line > first.line)) {
    return first;
  }
  const why =
    problems[0] === undefined ? 'holds no key' : `line ${problems[0].line}: ${problems[0].problem}`;
  throw new KeyError(source, why);
}

/** `NAME.key` and `NAME.pub` for `pair`, named `name` (what `keygen` writes). */
export function formatKeyPairFiles(
  name: string,
  pair: CurveKeyPair,
): { secretFile: string; publicFile: string } {
  const secretFile = [
    `#   zmq-mq CURVE secret key "${name}": keep this file private (mode 0600).`,
    `#   Its public half is ${name}.pub. The layout is a ZeroMQ certificate's, as czmq writes it`,
    '#   and pyzmq reads it (zmq.auth.load_certificate).',
    '',
    'metadata',
    `    name = "${name}"`,
    'curve',
    `    public-key = "${pair.publicKey}"`,
    `    secret-key = "${pair.secretKey}"`,
    '',
  ].join('\n');
  const publicFile = [
    `# zmq-mq CURVE public key "${name}": an allowlist line as it is, or a client's --server-key`,
    `${pair.publicKey} ${name}`,
    '',
  ].join('\n');
  return { secretFile, publicFile };
}

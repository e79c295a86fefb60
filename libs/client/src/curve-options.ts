/**
 * CURVE for every SDK class: the options that turn it on, validated into the socket options
 * zeromq takes. A bad value throws `OptionError` naming the option, before any socket exists.
 */
import {
  curveKeyProblem,
  curvePublicKey,
  KeyError,
  OptionError,
  readKeyPairFile,
  readPublicKeyFile,
} from '@zmq-mq/protocol';

/** The options that encrypt a client's link and authenticate it to a CURVE broker. */
export interface CurveOptions {
  /**
   * The broker's public key (Z85, 40 characters: the key in its `.pub` file, or
   * `readPublicKeyFile('broker.pub').key` of @zmq-mq/protocol). Turns CURVE on; needs this
   * client's key pair too (`keyFile`, or `secretKey`). Several brokers with keys of their own:
   * one key per endpoint of `connect`, in its order.
   */
  serverKey?: string | readonly string[];
  /** This client's key pair file (`NAME.key`, written by `npm run keygen -- --out NAME`). */
  keyFile?: string;
  /** This client's public key (Z85); computed from `secretKey` when left out. */
  publicKey?: string;
  /** This client's secret key (Z85), instead of `keyFile`. */
  secretKey?: string;
}

/** What a socket of a CURVE client is made with: all three, or none without CURVE. */
export interface CurveSocketOptions {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

function key(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new OptionError(option, value, 'must be a Z85 key string');
  const problem = curveKeyProblem(value);
  if (problem !== undefined) throw new OptionError(option, value, `must be a Z85 key: ${problem}`);
  return value;
}

/**
 * The CURVE socket options of each endpoint of `connect` (in its order): none when no CURVE
 * option is given; else the endpoint's server key (`serverKey`, or its element for that
 * endpoint) and this client's pair, each checked (a `keyFile` is read now, once).
 */
export function parseEndpointCurves(
  options: CurveOptions,
  endpoints: readonly string[],
): CurveSocketOptions[] {
  const { serverKey } = options;
  if (!Array.isArray(serverKey)) {
    const one = parseCurveOptions(options as CurveOptions & { serverKey?: string });
    return endpoints.map(() => one);
  }
  if (serverKey.length !== endpoints.length) {
    throw new OptionError(
      'serverKey',
      `${serverKey.length} keys`,
      `must be one key, or one per endpoint of connect (${endpoints.length})`,
    );
  }
  const keys = serverKey.map((k, i) => key(`serverKey[${i}]`, k));
  const pair = parseCurveOptions({ ...options, serverKey: keys[0] });
  return keys.map((k) => ({ ...pair, curveServerKey: k }));
}

/**
 * The CURVE socket options of `options` with one server key: none when no CURVE option is
 * given; else the server key and this client's pair, each checked (a `keyFile` is read now).
 */
export function parseCurveOptions(
  options: CurveOptions & { serverKey?: string },
): CurveSocketOptions {
  const { serverKey, keyFile, publicKey, secretKey } = options;
  if ([serverKey, keyFile, publicKey, secretKey].every((v) => v === undefined)) return {};
  if (keyFile !== undefined && (secretKey !== undefined || publicKey !== undefined)) {
    throw new OptionError('keyFile', keyFile, 'cannot be combined with publicKey or secretKey');
  }
  let pair: { publicKey: string; secretKey: string };
  if (keyFile !== undefined) {
    if (typeof keyFile !== 'string' || keyFile === '') {
      throw new OptionError('keyFile', keyFile, 'must be the path of a key file (NAME.key)');
    }
    try {
      pair = readKeyPairFile(keyFile);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      throw new OptionError('keyFile', keyFile, err.message.replace(`${keyFile}: `, ''));
    }
  } else if (secretKey !== undefined) {
    const secret = key('secretKey', secretKey);
    const computed = curvePublicKey(secret);
    if (publicKey !== undefined && key('publicKey', publicKey) !== computed) {
      throw new OptionError('publicKey', publicKey, 'is not the public key of secretKey');
    }
    pair = { publicKey: computed, secretKey: secret };
  } else if (publicKey !== undefined) {
    throw new OptionError('publicKey', publicKey, 'needs secretKey (or use keyFile)');
  } else {
    throw new OptionError(
      'serverKey',
      serverKey,
      "needs this client's key pair too: keyFile, or secretKey (the broker checks its public key)",
    );
  }
  if (serverKey === undefined) {
    throw new OptionError(
      keyFile !== undefined ? 'keyFile' : 'secretKey',
      keyFile ?? '(a secret key)',
      "needs serverKey too: the broker's public key (its .pub file)",
    );
  }
  return {
    curveServerKey: key('serverKey', serverKey),
    curvePublicKey: pair.publicKey,
    curveSecretKey: pair.secretKey,
  };
}

/**
 * The CURVE options of a program's flags: `--server-key FILE` (the broker's `.pub`, or any key
 * list: its first key; repeated, one per endpoint of `--connect` in its order, for brokers that
 * each have their own key) and `--key FILE` (this client's `.key`), both or neither. Each file
 * is read now; a problem throws `OptionError` naming the flag as `names` spells it.
 * `endpoints`: how many endpoints the client connects to (checked against repeated keys).
 */
export function curveOptionsFromFiles(
  serverKeyFile: string | readonly string[] | undefined,
  keyFile: string | undefined,
  names: { serverKey: string; key: string; connect?: string } = {
    serverKey: '--server-key',
    key: '--key',
    connect: '--connect',
  },
  endpoints?: number,
): CurveOptions {
  const files =
    serverKeyFile === undefined
      ? []
      : Array.isArray(serverKeyFile)
        ? serverKeyFile
        : [serverKeyFile];
  if (files.length === 0 && keyFile === undefined) return {};
  if (files.length === 0) {
    throw new OptionError(
      names.key,
      keyFile,
      `needs ${names.serverKey} too (the broker's .pub file)`,
    );
  }
  if (keyFile === undefined) {
    throw new OptionError(
      names.serverKey,
      files.join(', '),
      `needs ${names.key} too (this client's .key file)`,
    );
  }
  if (files.length > 1 && endpoints !== undefined && files.length !== endpoints) {
    throw new OptionError(
      names.serverKey,
      files.join(', '),
      `takes one file, or one per ${names.connect ?? '--connect'} endpoint in its order (${endpoints})`,
    );
  }
  const read = <T>(name: string, file: string, fn: (path: string) => T): T => {
    try {
      return fn(file);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      throw new OptionError(name, file, err.message.replace(`${file}: `, ''));
    }
  };
  const keys = files.map((file) => read(names.serverKey, file, readPublicKeyFile).key);
  read(names.key, keyFile, readKeyPairFile);
  const [only] = keys;
  return { serverKey: keys.length === 1 && only !== undefined ? only : keys, keyFile };
}

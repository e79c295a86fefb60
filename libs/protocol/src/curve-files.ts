/**
 * Reading and writing CURVE key files (formats in curve.ts). Every failure is a `KeyError`
 * naming the file.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import {
  formatKeyPairFiles,
  generateCurveKeyPair,
  parseKeyPairFile,
  parsePublicKeyFile,
  type CurveKeyPair,
  type KeyListEntry,
  type KeyPairFile,
} from './curve';
import { KeyError } from './errors';

/** Largest key file read (bytes): a key pair file is about 400 bytes, a public key 100. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A file's text, refusing one larger than `maxBytes`. Throws `KeyError`. */
export function readKeyText(path: string, maxBytes = MAX_KEY_FILE_BYTES): string {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    throw new KeyError(path, `cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (text.length > maxBytes) {
    throw new KeyError(path, `is ${text.length} bytes, more than a key file's ${maxBytes}`);
  }
  return text.toString('utf8');
}

/** A key pair file as read, and whether users other than its owner may read it. */
export interface KeyPairFileRead extends KeyPairFile {
  /** Group or others have any permission on the file: a secret key should be mode 0600. */
  exposed: boolean;
}

/** Reads a secret key file (`NAME.key`). Throws `KeyError`. */
export function readKeyPairFile(path: string): KeyPairFileRead {
  const pair = parseKeyPairFile(readKeyText(path), path);
  let exposed = false;
  try {
    exposed = (statSync(path).mode & 0o077) !== 0;
  } catch {
    // read a moment ago: a file gone since is read again at the next start
  }
  return { ...pair, exposed };
}

/** Reads a public key file (`NAME.pub`, or any key list: its first key). Throws `KeyError`. */
export function readPublicKeyFile(path: string): KeyListEntry {
  return parsePublicKeyFile(readKeyText(path), path);
}

/** What `writeKeyPairFiles` wrote. */
export interface WrittenKeyPair extends CurveKeyPair {
  name: string;
  secretPath: string;
  publicPath: string;
}

/**
 * Generates a key pair and writes `OUT.key` (the secret, created with mode 0600) and `OUT.pub`.
 * The key is named after OUT's last path segment. Never overwrites: a file that exists is a
 * `KeyError` and nothing is written.
 */
export function writeKeyPairFiles(out: string): WrittenKeyPair {
  const name = basename(out);
  if (name === '' || name === '.' || name === '..' || /[\s"]/.test(name)) {
    throw new KeyError(out, 'must end in a name without spaces or quotes (such as keys/alice)');
  }
  const pair = generateCurveKeyPair();
  const { secretFile, publicFile } = formatKeyPairFiles(name, pair);
  const secretPath = `${out}.key`;
  const publicPath = `${out}.pub`;
  writeNew(secretPath, secretFile, 0o600);
  try {
    writeNew(publicPath, publicFile, 0o644);
  } catch (err) {
    unlinkSync(secretPath);
    throw err;
  }
  return { ...pair, name, secretPath, publicPath };
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (err) {
    const exists = (err as { code?: string }).code === 'EEXIST';
    throw new KeyError(
      path,
      exists
        ? 'exists already: keygen never overwrites a key'
        : `cannot be created: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

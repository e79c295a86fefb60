import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { curveKeyPair, Pull, Push } from 'zeromq';
import {
  curveKeyProblem,
  curvePublicKey,
  ErrorCode,
  formatKeyPairFiles,
  generateCurveKeyPair,
  KeyError,
  parseKeyList,
  parseKeyPairFile,
  parsePublicKeyFile,
  readKeyPairFile,
  readPublicKeyFile,
  writeKeyPairFiles,
  z85Decode,
  z85Encode,
} from '../src';

describe('Z85', () => {
  it('encodes the RFC 32 example', () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
  });

  it('round-trips any multiple of 4 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = raw.subarray(0, raw.length - (raw.length % 4));
        expect(z85Decode(z85Encode(bytes))).toEqual(Buffer.from(bytes));
      }),
      { seed: 17, numRuns: 500 },
    );
  });

  it('refuses what is not Z85', () => {
    expect(z85Decode('abcd')).toBeUndefined(); // not a multiple of 5
    expect(z85Decode('abcd~')).toBeUndefined(); // outside the alphabet
    expect(z85Decode('#####')).toBeUndefined(); // above 2^32 - 1
    expect(curveKeyProblem('short')).toMatch(/40 Z85 characters, not 5/);
    expect(curveKeyProblem(`${'a'.repeat(39)}~`)).toBe('is not Z85 text');
  });
});

describe('CURVE keys', () => {
  it("computes libzmq's public key from a secret key", () => {
    for (let i = 0; i < 5; i++) {
      const pair = curveKeyPair();
      expect(curvePublicKey(pair.secretKey)).toBe(pair.publicKey);
    }
  });

  it('generates pairs that libzmq accepts: a CURVE handshake goes through', async () => {
    const server = generateCurveKeyPair();
    const client = generateCurveKeyPair();
    expect(curvePublicKey(server.secretKey)).toBe(server.publicKey);
    const pull = new Pull({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 });
    const push = new Push({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      linger: 0,
    });
    try {
      await pull.bind('tcp://127.0.0.1:*');
      push.connect(pull.lastEndpoint as string);
      await push.send('sealed');
      const [frame] = await pull.receive();
      expect(frame?.toString()).toBe('sealed');
    } finally {
      push.close();
      pull.close();
    }
  });

  it('refuses a secret key that is not one, with a coded error', () => {
    expect(() => curvePublicKey('nope', 'x.key')).toThrow(KeyError);
    try {
      curvePublicKey('nope', 'x.key');
    } catch (err) {
      expect((err as KeyError).code).toBe(ErrorCode.Key);
      expect((err as KeyError).message).toMatch(/^x\.key: a CURVE key is 40/);
    }
  });
});

describe('key lists', () => {
  const a = generateCurveKeyPair().publicKey;
  const b = generateCurveKeyPair().publicKey;

  it('reads keys and names, skipping comments and blank lines', () => {
    const list = parseKeyList(`# producers\n\n${a} billing service\n  ${b}\r\n`);
    expect(list.problems).toEqual([]);
    expect(list.entries).toEqual([
      { key: a, name: 'billing service', line: 3 },
      { key: b, name: b.slice(0, 8), line: 4 },
    ]);
  });

  it('leaves out each bad line, saying why, and keeps the rest', () => {
    const list = parseKeyList(`${a} one\nnot-a-key two\n${a} again\n${b} ${'x'.repeat(65)}\n`);
    expect(list.entries.map((e) => e.name)).toEqual(['one']);
    expect(list.problems).toEqual([
      { line: 2, problem: expect.stringMatching(/"not-a-key" a CURVE key is 40/) },
      { line: 3, problem: 'repeats the key of line 1' },
      { line: 4, problem: expect.stringMatching(/at most 64 characters/) },
    ]);
  });
});

describe('key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes NAME.key (mode 0600) and NAME.pub, and reads them back', () => {
    const out = join(dir, 'alice');
    const written = writeKeyPairFiles(out);
    expect(written.name).toBe('alice');
    expect(statSync(`${out}.key`).mode & 0o777).toBe(0o600);
    const pair = readKeyPairFile(`${out}.key`);
    expect(pair).toEqual({
      publicKey: written.publicKey,
      secretKey: written.secretKey,
      name: 'alice',
      exposed: false,
    });
    expect(readPublicKeyFile(`${out}.pub`)).toEqual({
      key: written.publicKey,
      name: 'alice',
      line: 2,
    });
    // The .pub line is an allowlist line as it is.
    expect(parseKeyList(readFileSync(`${out}.pub`, 'utf8')).entries).toHaveLength(1);
  });

  it('never overwrites a key', () => {
    const out = join(dir, 'bob');
    writeKeyPairFiles(out);
    const before = readFileSync(`${out}.key`, 'utf8');
    expect(() => writeKeyPairFiles(out)).toThrow(/bob\.key: exists already/);
    expect(readFileSync(`${out}.key`, 'utf8')).toBe(before);
  });

  it('says when a secret key file may be read by others', () => {
    const path = join(dir, 'open.key');
    writeFileSync(path, formatKeyPairFiles('open', generateCurveKeyPair()).secretFile, {
      mode: 0o644,
    });
    expect(readKeyPairFile(path).exposed).toBe(true);
  });

  it('refuses a key file that is not one, naming it', () => {
    const pair = generateCurveKeyPair();
    const other = generateCurveKeyPair();
    expect(() => parseKeyPairFile(`${pair.publicKey} alice\n`, 'alice.pub')).toThrow(
      /^alice\.pub: has no secret-key line/,
    );
    const mismatched = `public-key = "${other.publicKey}"\nsecret-key = "${pair.secretKey}"\n`;
    expect(() => parseKeyPairFile(mismatched, 'm.key')).toThrow(/not the public key of/);
    expect(() => parsePublicKeyFile('# nothing\n', 'empty.pub')).toThrow(/holds no key/);
    expect(() => parsePublicKeyFile('oops\n', 'bad.pub')).toThrow(/line 1: "oops"/);
    expect(() => readKeyPairFile(join(dir, 'missing.key'))).toThrow(/cannot be read/);
    // Only the secret key is needed: the public key is computed.
    expect(parseKeyPairFile(`secret-key = "${pair.secretKey}"`, 's.key').publicKey).toBe(
      pair.publicKey,
    );
  });
});

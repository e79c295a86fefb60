import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPairFiles, type CurveKeyPair } from '@zmq-mq/protocol';
import type { BrokerOptionsInput } from '../src';

/** One client's keys, as a test socket takes them. */
export interface ClientKeys extends CurveKeyPair {
  name: string;
}

/**
 * A directory of keys for a CURVE broker: the broker's pair, one client per role plus a
 * stranger, and an allowlist file per role holding that role's client.
 */
export class KeyRing {
  readonly dir = mkdtempSync(join(tmpdir(), 'zmqmq-curve-'));
  readonly server: CurveKeyPair & { file: string };
  readonly producer: ClientKeys;
  readonly subscriber: ClientKeys;
  readonly worker: ClientKeys;
  readonly stranger: ClientKeys;

  constructor() {
    const server = writeKeyPairFiles(join(this.dir, 'broker'));
    this.server = { ...server, file: server.secretPath };
    this.producer = this.client('producer');
    this.subscriber = this.client('subscriber');
    this.worker = this.client('worker');
    this.stranger = this.client('stranger');
    this.writeList('producers', [this.producer]);
    this.writeList('subscribers', [this.subscriber]);
    this.writeList('workers', [this.worker]);
  }

  /** The allowlist file of `role`. */
  list(role: 'producers' | 'subscribers' | 'workers'): string {
    return join(this.dir, `${role}.keys`);
  }

  /** Writes `role`'s allowlist with `clients` (and any extra lines). */
  writeList(
    role: 'producers' | 'subscribers' | 'workers',
    clients: ClientKeys[],
    extra = '',
  ): void {
    const lines = clients.map((c) => `${c.publicKey} ${c.name}`);
    writeFileSync(this.list(role), `# ${role}\n${lines.join('\n')}\n${extra}`);
  }

  /** Broker options for CURVE with these keys and lists. */
  brokerOptions(): BrokerOptionsInput {
    return {
      curveSecretKeyFile: this.server.file,
      allowProducers: this.list('producers'),
      allowSubscribers: this.list('subscribers'),
      allowWorkers: this.list('workers'),
    };
  }

  /** Socket options of a CURVE client with `keys` (the server key: this broker's, or `serverKey`). */
  socket(
    keys: ClientKeys,
    serverKey = this.server.publicKey,
  ): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
    return {
      curveServerKey: serverKey,
      curvePublicKey: keys.publicKey,
      curveSecretKey: keys.secretKey,
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private client(name: string): ClientKeys {
    const written = writeKeyPairFiles(join(this.dir, name));
    return { name, publicKey: written.publicKey, secretKey: written.secretKey };
  }
}

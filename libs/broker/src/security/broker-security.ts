import { readKeyPairFile, type KeyListProblem } from '@zmq-mq/protocol';
import type { Context, Event, Socket } from 'zeromq';
import type { Logger } from '../logger';
import type { BrokerOptions } from '../options';
import type { BoundSocket, SocketRole } from '../sockets';
import { zapDomainOf } from '../zap-domain';
import { Allowlist, type AllowlistEvents } from './allowlist';
import { Refusals, refusalOf, type RefusalReason } from './refusals';
import { ZapHandler, type ZapDecision, type ZapRequest } from './zap-handler';

/** The client roles that have an allowlist. */
export type KeyRole = 'producers' | 'subscribers' | 'workers';
export const KEY_ROLES: readonly KeyRole[] = ['producers', 'subscribers', 'workers'];

/** The option that names each role's allowlist. */
const LIST_OPTION = {
  producers: 'allowProducers',
  subscribers: 'allowSubscribers',
  workers: 'allowWorkers',
} as const satisfies Record<KeyRole, keyof BrokerOptions>;

/**
 * The allowlists whose keys each port accepts. A port that takes several roles' commands (the
 * reliable port: producers' and workers') takes the union: libzmq tells a connection's key to
 * the ZAP handler only, and zeromq.js gives no message's `User-Id`, so the broker cannot check
 * each command against its sender's role.
 */
export const PORT_ROLES: Readonly<Record<SocketRole, readonly KeyRole[]>> = {
  ingress: ['producers'],
  publish: ['subscribers'],
  push: ['workers'],
  reliable: ['producers', 'workers'],
};

/**
 * What CURVE adds to each frame on the wire (its MESSAGE command: name, nonce, flags and MAC),
 * bytes. libzmq checks a socket's `maxMessageSize` against the frame as it arrives, sealed:
 * measured, a limit of 1,000 took frames of 967 bytes and refused 968 under CURVE.
 */
export const CURVE_FRAME_OVERHEAD_BYTES = 33;

/** One allowlist as `/stats` shows it. */
export interface AllowlistView {
  file: string;
  keys: number;
  /** Lines of the last reading left out, and why. */
  problems: KeyListProblem[];
  /** Readings with a change in force since start (1: never changed). */
  generation: number;
  /** Readings that failed (the keys before stayed in force). */
  failures: number;
}

/** The security part of `/stats`. */
export interface SecuritySnapshot {
  /** Every port runs CURVE (`--curve-secret-key-file`). */
  curve: boolean;
  /** The broker's public key (what clients give as their server key), with CURVE. */
  serverKey: string | null;
  /** Each role's allowlist; null: none given (every client of that role is refused). */
  allowlists: Record<KeyRole, AllowlistView | null>;
  /** Refused handshakes per port and reason. */
  refused: Record<string, Record<RefusalReason, number>>;
  /** Accepted CURVE handshakes per port and key name. */
  accepted: Record<string, Record<string, number>>;
}

/**
 * The broker's transport security. With a secret key (`--curve-secret-key-file`), every port
 * the broker binds runs CURVE (`secure`) and a ZAP handler in the broker's own ZeroMQ context
 * checks each client's public key against the allowlists of that port's roles (PORT_ROLES),
 * read again when their files change. Without one it only counts clients that ask for a
 * mechanism the ports do not run. Either way every refused handshake is counted by port and
 * reason and logged at a bounded rate (Refusals).
 *
 * The constructor reads the key file and the allowlists, so that a bad one stops the broker
 * before anything binds (`KeyError`).
 */
export class BrokerSecurity {
  readonly curve: boolean;
  readonly serverKey: string | null;
  readonly refusals: Refusals;
  private readonly secretKey: string | null;
  private readonly lists = new Map<KeyRole, Allowlist>();
  private readonly ports = new Map<Socket, SocketRole>();
  private readonly domains = new Map<string, SocketRole>();
  private zap: ZapHandler | undefined;

  constructor(
    options: BrokerOptions,
    private readonly log: Logger,
  ) {
    this.refusals = new Refusals(log);
    const file = options.curveSecretKeyFile;
    this.curve = file !== null;
    if (file === null) {
      this.serverKey = null;
      this.secretKey = null;
      return;
    }
    const pair = readKeyPairFile(file);
    if (pair.exposed) {
      log.warn(
        { file },
        'the broker secret key file may be read by other users: make it mode 0600 (chmod 600)',
      );
    }
    this.serverKey = pair.publicKey;
    this.secretKey = pair.secretKey;
    for (const role of KEY_ROLES) {
      const path = options[LIST_OPTION[role]];
      if (path !== null) this.lists.set(role, new Allowlist(path));
    }
  }

  /**
   * With CURVE: binds the ZAP handler in `context` (the broker's own: no other code in the
   * process can reach it, nor bind its endpoint first), watches the allowlists, and logs what
   * is in force. Call before any guarded socket binds.
   */
  async start(context: Context | undefined): Promise<void> {
    if (!this.curve) return;
    if (context === undefined) throw new Error('CURVE needs the broker to have its own context');
    this.zap = new ZapHandler(
      context,
      (request) => this.decide(request),
      (err) =>
        this.log.error({ err }, 'ZAP handler ended: every CURVE handshake now waits and fails'),
    );
    await this.zap.start();
    for (const [role, list] of this.lists) {
      this.logProblems(role, list);
      list.watch(this.listEvents(role, list));
    }
    const none = KEY_ROLES.filter((role) => !this.lists.has(role));
    this.log.info(
      {
        serverKey: this.serverKey,
        allowlists: Object.fromEntries(
          [...this.lists].map(([role, list]) => [role, { file: list.path, keys: list.size }]),
        ),
      },
      'CURVE on every port: clients need the server key above and a key on their role list',
    );
    for (const role of none) {
      this.log.warn(
        { role, option: `--allow-${role}` },
        `no ${role} allowlist: every ${role.slice(0, -1)} is refused`,
      );
    }
  }

  /**
   * Sets a bound socket's security before it binds (after its other options): with CURVE, the
   * server side of CURVE with the broker's secret key, the ZAP domain of its port, and its
   * largest frame raised by CURVE_FRAME_OVERHEAD_BYTES. Always, its port for counting.
   */
  secure({ role, socket }: BoundSocket): void {
    this.ports.set(socket, role);
    this.refusals.addPort(role);
    if (this.secretKey === null) return;
    // The limit stays what --max-message-bytes says of a message, not of its sealed frame.
    if (socket.maxMessageSize >= 0) socket.maxMessageSize += CURVE_FRAME_OVERHEAD_BYTES;
    socket.curveServer = true;
    socket.curveSecretKey = this.secretKey;
    socket.zapDomain = zapDomainOf(role);
    this.domains.set(zapDomainOf(role), role);
  }

  /**
   * A bound socket's event (PeerEvents hands on each): counts and logs a refused handshake, and
   * then says true. An authentication failure is the ZAP handler's refusal, counted there.
   */
  observe(socket: Socket, event: Event): boolean {
    const port = this.ports.get(socket);
    if (port === undefined) return false;
    if (event.type === 'handshake:error:auth') return true;
    const reason = refusalOf(event, this.curve);
    if (reason === undefined) return false;
    const code = 'error' in event ? (event.error as { code?: string }).code : undefined;
    this.refusals.refuse(port, reason, code === undefined ? {} : { code });
    return true;
  }

  /** Reads every allowlist again now (the broker program does on SIGUSR2). */
  reload(): void {
    for (const [role, list] of this.lists) list.reload(this.listEvents(role, list));
  }

  snapshot(): SecuritySnapshot {
    const allowlists = {} as Record<KeyRole, AllowlistView | null>;
    for (const role of KEY_ROLES) {
      const list = this.lists.get(role);
      allowlists[role] =
        list === undefined
          ? null
          : {
              file: list.path,
              keys: list.size,
              problems: list.problems,
              generation: list.generation,
              failures: list.failures,
            };
    }
    return {
      curve: this.curve,
      serverKey: this.serverKey,
      allowlists,
      refused: this.refusals.refusals(),
      accepted: this.refusals.acceptances(),
    };
  }

  /** Stops watching the allowlists and answering ZAP (after the guarded sockets closed). */
  async close(): Promise<void> {
    for (const list of this.lists.values()) list.close();
    await this.zap?.close();
  }

  private decide({ domain, address, mechanism, key }: ZapRequest): ZapDecision {
    const port = this.domains.get(domain);
    // Not a port of ours (a socket given a domain elsewhere): NULL passes as it would with no
    // handler at all; anything else is refused, since nothing here knows its rules.
    if (port === undefined) {
      return mechanism === 'NULL'
        ? { allow: true, userId: '' }
        : { allow: false, reason: 'unknown domain' };
    }
    if (key === undefined) {
      this.refusals.refuse(port, 'plain-text', { address, code: mechanism });
      return { allow: false, reason: 'CURVE required' };
    }
    for (const role of PORT_ROLES[port]) {
      const name = this.lists.get(role)?.nameOf(key);
      if (name !== undefined) {
        this.refusals.accept(port, name);
        return { allow: true, userId: name };
      }
    }
    for (const role of KEY_ROLES) {
      const name = this.lists.get(role)?.nameOf(key);
      if (name !== undefined) {
        this.refusals.refuse(port, 'wrong-role', { address, key, name, listedFor: role });
        return { allow: false, reason: `key of ${role}` };
      }
    }
    this.refusals.refuse(port, 'unknown-key', { address, key });
    return { allow: false, reason: 'unknown key' };
  }

  /** What a reading of `list` logs. */
  private listEvents(role: KeyRole, list: Allowlist): AllowlistEvents {
    return {
      reloaded: (r) => {
        this.log.info(
          { role, file: list.path, keys: r.keys, added: r.added, removed: r.removed },
          `${role} allowlist read again: ${r.keys} keys in force`,
        );
        this.logProblems(role, list);
      },
      failed: (err) =>
        this.log.error(
          { role, file: list.path, err: err.message, keys: list.size },
          `${role} allowlist could not be read again: the keys read before stay in force`,
        ),
    };
  }

  private logProblems(role: KeyRole, list: Allowlist): void {
    for (const { line, problem } of list.problems) {
      this.log.warn(
        { role, file: list.path, line, problem },
        `${role} allowlist: line ${line} left out: ${problem}`,
      );
    }
  }
}

import type { Event, Socket } from 'zeromq';
import { LogBudget } from './log-budget';
import type { Logger } from './logger';
import { PeerLedger, type DisconnectOutcome } from './peer-ledger';
import type { PeerRegistry } from './peer-registry';
import { PEERS_OF, type BoundSocket } from './sockets';
import type { BrokerStats, PeerRole } from './stats';
import { TcpPeers, tcpPort } from './tcp-peers';

/** How one peer of each role is named in the log. */
const PEER_LABEL: Readonly<Record<PeerRole, string>> = {
  producers: 'producer',
  subscribers: 'subscriber',
  workers: 'worker',
  clients: 'reliable client',
};

/** At most this many peer addresses in one log line. */
const MAX_PEERS_LOGGED = 10;

function peerFields(peers: readonly string[]): { peer?: string; peers?: string[] } {
  if (peers.length === 0) return {};
  if (peers.length === 1) return { peer: peers[0] as string };
  return { peers: peers.slice(0, MAX_PEERS_LOGGED) };
}

/** One watched socket: its ledger, and its peers' addresses once it is bound to TCP. */
interface Watched {
  readonly bound: BoundSocket;
  readonly label: string;
  readonly ledger: PeerLedger;
  readonly maxFrameBytes: number;
  /** The endpoint bound, as socket events name it (the registry's key for the role). */
  endpoint: string;
  tcp: TcpPeers | undefined;
  /** Its log lines, written in order: one may wait for the table (TcpPeers.ended). */
  lines: Promise<void>;
}

/**
 * One loop per bound socket over its events (`socket.events`): into a PeerLedger per socket
 * (peers counted by completed handshake, connections by how they ended: the broker's
 * `connections` counters), whose peers join and leave the PeerRegistry (the `peers` gauges,
 * and who is connected for the dashboard); into the log, with the peer's address read from the
 * kernel's connection table (TcpPeers) and a budget per kind of line (LogBudget); also the
 * reason libzmq gave for a failed bind (see `bindError`).
 */
export class PeerEvents {
  private readonly loops: Promise<void>[] = [];
  private readonly bindErrors = new Map<Socket, Error>();
  private readonly budget = new LogBudget();

  /**
   * `running`: whether the broker runs (a loop that ends with an error then is logged);
   * `observe`: sees every event of every watched socket first; true when it counted and logged
   * the event itself (the broker's security does so for refused handshakes, at a bounded rate),
   * which is then not logged here as well.
   */
  constructor(
    private readonly log: Logger,
    private readonly counters: BrokerStats,
    private readonly registry: PeerRegistry,
    private readonly running: () => boolean,
    private readonly observe?: (socket: Socket, event: Event) => boolean,
  ) {}

  /** Starts reading the socket's events; `maxFrameBytes` is its inbound limit, for the log. */
  watch(bound: BoundSocket, maxFrameBytes: number): void {
    const role = PEERS_OF[bound.role];
    const registry = this.registry;
    const w: Watched = {
      bound,
      label: PEER_LABEL[role],
      ledger: new PeerLedger(
        {
          get connected() {
            return registry.counts[role];
          },
          joined: () => registry.connected(role, w.endpoint),
          left: () => registry.disconnected(role, w.endpoint),
        },
        this.counters.connections[role],
      ),
      maxFrameBytes,
      endpoint: bound.endpoint,
      tcp: undefined,
      lines: Promise.resolve(),
    };
    const loop = async (): Promise<void> => {
      try {
        for await (const event of bound.socket.events) {
          const counted = this.observe?.(bound.socket, event) === true;
          switch (event.type) {
            case 'bind': {
              w.endpoint = event.address;
              const port = tcpPort(event.address);
              if (port !== undefined) w.tcp = new TcpPeers(port, () => w.ledger.open);
              break;
            }
            case 'bind:error':
              this.bindErrors.set(bound.socket, event.error);
              break;
            case 'accept':
              w.ledger.accepted();
              w.tcp?.observe();
              break;
            case 'accept:error':
              w.ledger.acceptFailed();
              this.line(w, 'accept-failed', 'warn', 'cannot accept a connection', {
                err: event.error,
              });
              break;
            case 'handshake': {
              const connected = w.ledger.handshake();
              this.line(w, 'connected', 'info', `${w.label} connected`, { connected }, 'opened');
              break;
            }
            case 'handshake:error:protocol':
            case 'handshake:error:auth':
            case 'handshake:error:other':
              w.ledger.failed(
                event.type === 'handshake:error:protocol'
                  ? 'protocol'
                  : event.type === 'handshake:error:auth'
                    ? 'auth'
                    : 'other',
              );
              if (!counted) {
                this.line(w, 'handshake-failed', 'warn', `${w.label} handshake failed`, {
                  event: event.type,
                  error: event.error.message,
                });
              }
              break;
            case 'disconnect': {
              const outcome = w.ledger.disconnected();
              // A stranger's connection closed: peers' addresses may be plain to see now.
              if (outcome !== 'left') this.registry.reexamine();
              this.disconnected(w, outcome);
              break;
            }
            default:
              break;
          }
        }
      } catch (err) {
        if (this.running())
          this.log.warn({ err, socket: bound.role }, 'socket event monitor ended');
      }
      await w.lines;
    };
    this.loops.push(loop());
  }

  private disconnected(w: Watched, outcome: DisconnectOutcome): void {
    if (outcome === 'refused') {
      this.line(
        w,
        'refused',
        'warn',
        'connection refused before its handshake: not ZMTP 3 (an HTTP request, a ZMTP 1.0 or 2.0 peer, other bytes), a socket type this port does not pair with, or a handshake command over the frame limit',
        { maxFrameBytes: w.maxFrameBytes },
      );
    } else if (outcome === 'left') {
      // On the ingress a disconnect may lose what the producer had in flight, and libzmq closes
      // a producer's connection for a frame over the limit without saying so.
      const producer = w.bound.role === 'ingress';
      this.line(
        w,
        'disconnected',
        producer ? 'warn' : 'info',
        producer
          ? 'producer disconnected (libzmq also disconnects a producer this way when it sends a frame over maxFrameBytes, and does not say which it was)'
          : `${w.label} disconnected`,
        { connected: w.ledger.connected, maxFrameBytes: w.maxFrameBytes },
      );
    }
  }

  /**
   * Logs one line about a peer of `w` if the budget for its kind allows, with the peers whose
   * connection `change` (opened or ended) since the last line about this socket. The line is
   * written once the lines before it are; one about an ended connection may wait for the table
   * to let go of it (TcpPeers.ended) while the socket's events go on being counted.
   */
  private line(
    w: Watched,
    kind: string,
    level: 'info' | 'warn',
    msg: string,
    fields: Record<string, unknown>,
    change: 'opened' | 'ended' = 'ended',
  ): void {
    if (!this.log.isLevelEnabled(level)) return;
    const notLogged = this.budget.take(`${w.bound.role}:${kind}`);
    if (notLogged === undefined) return;
    const { tcp, endpoint } = w;
    const write = async (): Promise<void> => {
      const peers = tcp === undefined ? [] : change === 'opened' ? tcp.opened() : await tcp.ended();
      this.log[level](
        {
          role: w.label,
          socket: w.bound.role,
          address: endpoint,
          ...peerFields(peers),
          ...fields,
          ...(notLogged > 0 ? { notLogged } : {}),
        },
        msg,
      );
    };
    w.lines = w.lines.then(write).catch((err: unknown) => {
      this.log.error({ err, socket: w.bound.role }, 'cannot write a line about a peer');
    });
  }

  /** The reason libzmq gave for `socket`'s failed bind, once its `bind:error` event came. */
  bindError(socket: Socket): Error | undefined {
    return this.bindErrors.get(socket);
  }

  /** Resolves once every loop has ended and written its lines (each ends when its socket closes). */
  async ended(): Promise<void> {
    await Promise.all(this.loops);
  }
}

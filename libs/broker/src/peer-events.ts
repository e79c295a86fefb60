import type { Socket } from 'zeromq';
import type { Logger } from './logger';
import type { PeerRegistry } from './peer-registry';
import type { PeerRole } from './stats';

/** How one peer of each role is named in the log. */
const PEER_LABEL: Readonly<Record<PeerRole, string>> = {
  producers: 'producer',
  subscribers: 'subscriber',
  workers: 'worker',
  clients: 'reliable client',
};

/**
 * One loop per bound socket over its events (`socket.events`): peers connecting and leaving
 * (into the registry, logged), failed handshakes (logged), and the reason libzmq gave for a
 * failed bind (see `bindError`).
 */
export class PeerEvents {
  private readonly loops: Promise<void>[] = [];
  private readonly bindErrors = new Map<Socket, Error>();

  /** `running`: whether the broker runs (a loop that ends with an error then is logged). */
  constructor(
    private readonly log: Logger,
    private readonly peers: PeerRegistry,
    private readonly running: () => boolean,
  ) {}

  /** Starts reading `socket`'s events; its peers count as `role`. */
  watch(socket: Socket, role: PeerRole): void {
    const label = PEER_LABEL[role];
    const loop = async (): Promise<void> => {
      try {
        for await (const event of socket.events) {
          if (event.type === 'accept') {
            const connected = this.peers.connected(role, event.address);
            this.log.info({ role: label, address: event.address, connected }, `${label} connected`);
          } else if (event.type === 'disconnect') {
            const connected = this.peers.disconnected(role, event.address);
            this.log.info(
              { role: label, address: event.address, connected },
              `${label} disconnected`,
            );
          } else if (event.type === 'bind:error') {
            this.bindErrors.set(socket, event.error);
          } else if (
            event.type === 'handshake:error:protocol' ||
            event.type === 'handshake:error:other'
          ) {
            this.log.warn(
              { role: label, address: event.address, event: event.type },
              `${label} handshake failed`,
            );
          }
        }
      } catch (err) {
        if (this.running()) this.log.warn({ err, role: label }, 'socket event monitor ended');
      }
    };
    this.loops.push(loop());
  }

  /** The reason libzmq gave for `socket`'s failed bind, once its `bind:error` event came. */
  bindError(socket: Socket): Error | undefined {
    return this.bindErrors.get(socket);
  }

  /** Resolves once every loop has ended (each ends when its socket closes). */
  async ended(): Promise<void> {
    await Promise.all(this.loops);
  }
}

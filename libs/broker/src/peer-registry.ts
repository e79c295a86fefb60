import {
  listenAddressOf,
  listenKey,
  type ConnectionTable,
  type ListenAddress,
} from './peer-addresses';
import type { PeerRole } from './stats';

/** Peers remembered one by one (address, since when), all roles together; past it only counted. */
export const DEFAULT_MAX_LISTED_PEERS = 1000;

/** One connected peer, as `list()` shows it. */
export interface PeerEntry {
  /** The peer's own address (`ip:port`), once the kernel's connection table told it. */
  address: string | undefined;
  /** When the broker saw it connect (ms since the epoch). */
  since: number;
}

/** The peers of one role (one bound socket). */
export interface RolePeers {
  /** The broker endpoint they connect to (what socket events name); null until one connected. */
  endpoint: string | null;
  /** Connected now (the `peers` counter). */
  connected: number;
  /** Those remembered one by one, in the order they connected. */
  peers: PeerEntry[];
  /** Connected but not remembered one by one (past the cap), only counted. */
  unlisted: number;
}

/** Who is connected, per role: what `GET /peers` serves. */
export interface PeerListing {
  roles: Record<PeerRole, RolePeers>;
  /** The cap on peers remembered one by one (all roles together). */
  maxListed: number;
  /** Whether peers' own addresses are known: `kernel` (Linux, TCP) or `none`. */
  addresses: 'kernel' | 'none';
}

interface RoleState {
  endpoint: string | undefined;
  at: ListenAddress | undefined;
  peers: PeerEntry[];
  unlisted: number;
  /** Disconnects counted whose peer is not yet known (see `reconcile`). */
  leaving: number;
  /** Reconciliations a pending disconnect has waited for its peer to leave the table. */
  waited: number;
}

/** Reconciliations a disconnect waits for its connection to leave the kernel's table. */
const LEAVE_WAIT_ROUNDS = 4;
/** Delay before a reconciliation, so that one burst of events is read once (ms). */
const RECONCILE_DELAY_MS = 25;

/**
 * Who is connected, per role: counts (the broker's `peers` counters, which metrics and
 * `/stats` read) and, up to a cap, each peer with its address and since when.
 *
 * Socket events name only the broker's own endpoint, never the peer, so a peer's address
 * comes from the kernel's connection table (`table`, Linux): after connects and disconnects,
 * one read of the table (coalesced, off the event path) gives each new peer the address of a
 * new connection on its port, and tells which peer a disconnect took away. While connections
 * that are not peers are open on the port (mid-handshake, or a stranger's), new peers wait for
 * their address: the table cannot tell whose is whose. Without a table
 * (ipc endpoints, another OS) peers have no address, and a disconnect takes the newest one off
 * the list: which peer left is not known. Counts never wait for the table.
 */
export class PeerRegistry {
  private readonly roles = new Map<PeerRole, RoleState>();
  private listed = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private changes = 0;

  constructor(
    readonly counts: Record<PeerRole, number>,
    private readonly options: { table?: ConnectionTable; maxListed?: number } = {},
  ) {
    for (const role of Object.keys(counts) as PeerRole[]) {
      this.roles.set(role, {
        endpoint: undefined,
        at: undefined,
        peers: [],
        unlisted: 0,
        leaving: 0,
        waited: 0,
      });
    }
  }

  /** Changes every time the listing does: a reader compares it to know whether to read again. */
  get version(): number {
    return this.changes;
  }

  /** A peer of `role` connected to the broker's `endpoint`; returns how many are connected now. */
  connected(role: PeerRole, endpoint: string): number {
    const state = this.state(role, endpoint);
    if (this.listed < this.maxListed) {
      state.peers.push({ address: undefined, since: Date.now() });
      this.listed++;
    } else {
      state.unlisted++;
    }
    this.changes++;
    if (this.canResolve(state)) this.schedule();
    return ++this.counts[role];
  }

  /** A peer of `role` left the broker's `endpoint`; returns how many are connected now. */
  disconnected(role: PeerRole, endpoint: string): number {
    if (this.counts[role] === 0) return 0;
    const state = this.state(role, endpoint);
    this.counts[role]--;
    this.changes++;
    if (this.canResolve(state)) {
      state.leaving++;
      this.schedule();
    } else {
      this.forgetOne(state, false);
    }
    return this.counts[role];
  }

  /**
   * Reads the table again soon, when some peer has no address yet: a connection that was not a
   * peer's has closed, so a new peer's address may be plain now.
   */
  reexamine(): void {
    for (const s of this.roles.values()) {
      if (this.canResolve(s) && s.peers.some((p) => p.address === undefined)) {
        this.schedule();
        return;
      }
    }
  }

  /** Who is connected now (copies). */
  list(): PeerListing {
    const roles = {} as Record<PeerRole, RolePeers>;
    for (const [role, s] of this.roles) {
      roles[role] = {
        endpoint: s.endpoint ?? null,
        connected: this.counts[role],
        peers: s.peers.map((p) => ({ ...p })),
        unlisted: s.unlisted,
      };
    }
    return {
      roles,
      maxListed: this.maxListed,
      addresses: this.options.table === undefined ? 'none' : 'kernel',
    };
  }

  /** Resolves once no reconciliation is pending or running (for tests). */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && (this.timer !== undefined || this.running !== undefined); i++) {
      if (this.running !== undefined) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, RECONCILE_DELAY_MS));
    }
  }

  /** Stops reading the connection table; counts go on. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get maxListed(): number {
    return this.options.maxListed ?? DEFAULT_MAX_LISTED_PEERS;
  }

  private state(role: PeerRole, endpoint: string): RoleState {
    const state = this.roles.get(role) as RoleState;
    if (state.endpoint !== endpoint) {
      state.endpoint = endpoint;
      state.at = listenAddressOf(endpoint);
    }
    return state;
  }

  private canResolve(state: RoleState): boolean {
    return this.options.table !== undefined && state.at !== undefined && !this.closed;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.reconcile().finally(() => {
        this.running = undefined;
        if (this.again || this.pendingLeaves()) {
          this.again = false;
          this.schedule();
        }
      });
    }, RECONCILE_DELAY_MS);
  }

  private pendingLeaves(): boolean {
    for (const s of this.roles.values()) if (s.leaving > 0) return true;
    return false;
  }

  /**
   * One read of the connection table. A counted disconnect takes off the peer whose connection
   * has left the table; if none has yet (libzmq reports before it closes), it waits a few
   * rounds, then takes an unlisted peer, else the newest. New connections then give their
   * addresses to peers that have none, oldest peer first.
   */
  private async reconcile(): Promise<void> {
    const watched = [...this.roles.values()].filter((s) => this.canResolve(s));
    const table = await this.options.table?.(watched.map((s) => s.at as ListenAddress));
    if (table === undefined || this.closed) return;
    const before = this.snapshotKey();
    for (const s of watched) {
      const open = table.get(listenKey(s.at as ListenAddress)) ?? new Set<string>();
      while (s.leaving > 0) {
        const gone = s.peers.findIndex((p) => p.address !== undefined && !open.has(p.address));
        if (gone >= 0) this.removeAt(s, gone);
        else if (s.waited >= LEAVE_WAIT_ROUNDS) this.forgetOne(s, true);
        else break;
        s.leaving--;
        s.waited = 0;
      }
      if (s.leaving > 0) s.waited++;
      const known = new Set(s.peers.map((p) => p.address));
      const fresh = [...open].filter((a) => !known.has(a));
      // Peers are counted by completed handshake, but the table lists every connection: one
      // still in its handshake, or a stranger's that never speaks, is open too. With more new
      // connections than peers to give them to, which are the peers' is not known: wait until
      // the strangers have gone (each lasts at most the handshake timeout).
      const unaddressed = s.peers.filter((p) => p.address === undefined).length;
      if (fresh.length > unaddressed + s.unlisted) continue;
      for (const p of s.peers) {
        if (fresh.length === 0) break;
        if (p.address === undefined) p.address = fresh.shift();
      }
    }
    if (this.snapshotKey() !== before) this.changes++;
  }

  private snapshotKey(): string {
    const parts: string[] = [];
    for (const s of this.roles.values()) {
      parts.push(`${s.unlisted}`, ...s.peers.map((p) => `${p.since}@${p.address ?? ''}`));
    }
    return parts.join(' ');
  }

  /** Forgets one peer whose leaving the table cannot tell: an unlisted one, else the newest. */
  private forgetOne(s: RoleState, preferUnaddressed: boolean): void {
    if (s.unlisted > 0) {
      s.unlisted--;
      return;
    }
    let at = s.peers.length - 1;
    if (preferUnaddressed) {
      const unaddressed = s.peers.findLastIndex((p) => p.address === undefined);
      if (unaddressed >= 0) at = unaddressed;
    }
    if (at >= 0) this.removeAt(s, at);
  }

  private removeAt(s: RoleState, at: number): void {
    s.peers.splice(at, 1);
    this.listed--;
  }
}

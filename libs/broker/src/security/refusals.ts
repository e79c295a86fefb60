import type { Event } from 'zeromq';
import type { Logger } from '../logger';

/**
 * Why the broker refused a handshake. On a CURVE port:
 * - `unknown-key`: the client's public key is on no allowlist;
 * - `wrong-role`: its key is on another role's list (a subscriber's key at the ingress);
 * - `plain-text`: the client does not speak CURVE (plain text, or another mechanism): libzmq
 *   reports a mechanism mismatch, or the client hangs up at the greeting, as a client that
 *   sees the mismatch first does;
 * - `wrong-server-key`: the client's CURVE hello does not open with the broker's key: it was
 *   given another server key;
 * - `bad-handshake`: any other CURVE protocol error (a malformed command).
 *
 * On a port without CURVE, `wrong-mechanism`: the client asks for a mechanism the port does
 * not run (CURVE, say), seen as above (a mismatch, or a hang-up at the greeting).
 */
export type RefusalReason =
  | 'unknown-key'
  | 'wrong-role'
  | 'plain-text'
  | 'wrong-server-key'
  | 'bad-handshake'
  | 'wrong-mechanism';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'unknown-key',
  'wrong-role',
  'plain-text',
  'wrong-server-key',
  'bad-handshake',
  'wrong-mechanism',
];

/** How a peer that hangs up mid-handshake shows in libzmq's `handshake:error:other`. */
const HUNG_UP = new Set(['EPIPE', 'ECONNRESET']);

/**
 * The refusal a socket event on a port stands for (`curve`: the port runs CURVE), or undefined
 * when it is none: a success, an authentication failure (the ZAP handler counted it as it
 * refused), a timeout, or a protocol error of a port without CURVE.
 */
export function refusalOf(event: Event, curve: boolean): RefusalReason | undefined {
  const mismatch = curve ? 'plain-text' : 'wrong-mechanism';
  if (event.type === 'handshake:error:protocol') {
    const code = event.error.code;
    if (code === 'ERR_ZMTP_MECHANISM_MISMATCH') return mismatch;
    if (!curve) return undefined;
    return code === 'ERR_ZMTP_CRYPTOGRAPHIC' ? 'wrong-server-key' : 'bad-handshake';
  }
  if (event.type === 'handshake:error:other') {
    return HUNG_UP.has(event.error.code) ? mismatch : undefined;
  }
  return undefined;
}

/** Log lines of one kind at once before the rate applies. */
const LOG_BURST = 5;
/** Log lines of one kind per second past the burst. */
const LOG_PER_SECOND = 1;

/** What a refusal's log line says besides its port and reason. */
export interface RefusalDetail {
  /** The peer's IP address (the ZAP handler knows it; socket events do not). */
  address?: string;
  /** The client's public key (Z85). */
  key?: string;
  /** The key's name on the list it was found on (`wrong-role`), and that list's role. */
  name?: string;
  listedFor?: string;
  /** libzmq's code for the failure (socket events). */
  code?: string;
}

/**
 * Refused handshakes counted by port and reason, and accepted CURVE handshakes by port and key
 * name; each refusal logged at `warn`, at most LOG_BURST lines at once and LOG_PER_SECOND after
 * that per port and reason (a line says how many were not logged since the last one).
 */
export class Refusals {
  private readonly refused = new Map<string, Map<RefusalReason, number>>();
  private readonly accepted = new Map<string, Map<string, number>>();
  private readonly budget = new Map<string, { tokens: number; at: number; skipped: number }>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lists `port` (with zero counts) before any refusal. */
  addPort(port: string): void {
    if (!this.refused.has(port)) {
      this.refused.set(port, new Map(REFUSAL_REASONS.map((r) => [r, 0])));
      this.accepted.set(port, new Map());
    }
  }

  /** Counts and logs one refusal. */
  refuse(port: string, reason: RefusalReason, detail: RefusalDetail = {}): void {
    this.addPort(port);
    const counts = this.refused.get(port) as Map<RefusalReason, number>;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
    const notLogged = this.take(`${port} ${reason}`);
    if (notLogged === undefined) return;
    this.log.warn(
      { port, reason, ...detail, ...(notLogged > 0 ? { notLogged } : {}) },
      `${port}: handshake refused (${reason})`,
    );
  }

  /** Counts one accepted CURVE handshake of the key named `name`. */
  accept(port: string, name: string): void {
    this.addPort(port);
    const names = this.accepted.get(port) as Map<string, number>;
    names.set(name, (names.get(name) ?? 0) + 1);
  }

  /** Refusals per port and reason (copies). */
  refusals(): Record<string, Record<RefusalReason, number>> {
    const out: Record<string, Record<RefusalReason, number>> = {};
    for (const [port, counts] of this.refused) {
      out[port] = Object.fromEntries(counts) as Record<RefusalReason, number>;
    }
    return out;
  }

  /** Accepted CURVE handshakes per port and key name (copies). */
  acceptances(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [port, names] of this.accepted) out[port] = Object.fromEntries(names);
    return out;
  }

  /** Whether a line of `kind` may be logged now: the lines skipped before it, or undefined. */
  private take(kind: string): number | undefined {
    const now = this.now();
    let b = this.budget.get(kind);
    if (b === undefined) {
      b = { tokens: LOG_BURST, at: now, skipped: 0 };
      this.budget.set(kind, b);
    }
    b.tokens = Math.min(LOG_BURST, b.tokens + ((now - b.at) / 1000) * LOG_PER_SECOND);
    b.at = now;
    if (b.tokens < 1) {
      b.skipped++;
      return undefined;
    }
    b.tokens--;
    const skipped = b.skipped;
    b.skipped = 0;
    return skipped;
  }
}

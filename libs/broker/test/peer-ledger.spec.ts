import fc from 'fast-check';
import { PeerLedger, type PeerGauge } from '../src/peer-ledger';

/** A plain counter as the ledger's gauge. */
function counter(): PeerGauge {
  const g = {
    connected: 0,
    joined: () => ++g.connected,
    left: () => --g.connected,
  };
  return g;
}

/** How one connection goes, and the socket events it makes, in order. */
const FATES = {
  stays: ['accept', 'handshake'],
  leaves: ['accept', 'handshake', 'disconnect'],
  'fails-protocol': ['accept', 'protocol', 'disconnect'],
  'fails-auth': ['accept', 'auth', 'disconnect'],
  'fails-other': ['accept', 'other', 'disconnect'],
  refused: ['accept', 'disconnect'],
  waiting: ['accept'],
} as const;
type Fate = keyof typeof FATES;
type EventName = (typeof FATES)[Fate][number];

/**
 * Connections with their fates, and their events interleaved as libzmq's monitor may deliver
 * them: each connection's own events in order, connections mixed at random.
 */
const arbHistory = fc
  .array(fc.constantFrom(...(Object.keys(FATES) as Fate[])), { maxLength: 40 })
  .chain((fates) => {
    const events = fates.flatMap((fate, conn) => FATES[fate].map((name) => ({ conn, name })));
    return fc
      .array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: events.length,
        maxLength: events.length,
      })
      .map((keys) => {
        // Each connection's keys sorted, so its events keep their order; then all by key.
        const byConn = new Map<number, number[]>();
        events.forEach((e, i) => byConn.set(e.conn, [...(byConn.get(e.conn) ?? []), i]));
        const key = new Array<number>(events.length);
        for (const indices of byConn.values()) {
          const sorted = indices.map((i) => keys[i] as number).sort((a, b) => a - b);
          indices.forEach((i, k) => (key[i] = sorted[k] as number));
        }
        const order = events
          .map((_, i) => i)
          .sort((a, b) => (key[a] as number) - (key[b] as number));
        return { fates, events: order.map((i) => events[i] as { conn: number; name: EventName }) };
      });
  });

function feed(ledger: PeerLedger, name: EventName): void {
  if (name === 'accept') ledger.accepted();
  else if (name === 'handshake') ledger.handshake();
  else if (name === 'disconnect') ledger.disconnected();
  else ledger.failed(name);
}

describe('PeerLedger', () => {
  it('counts every outcome, and peers exactly once no connection is mid-handshake', () => {
    fc.assert(
      fc.property(arbHistory, ({ fates, events }) => {
        const peers = counter();
        const ledger = new PeerLedger(peers);
        // The truth, per connection: where it is in its life.
        type Stage = 'waiting' | 'peer' | 'failing' | 'done';
        const stage = new Map<number, Stage>();
        const inStage: Record<Stage, number> = { waiting: 0, peer: 0, failing: 0, done: 0 };
        for (const { conn, name } of events) {
          feed(ledger, name);
          const before = stage.get(conn);
          if (before !== undefined) inStage[before]--;
          const after: Stage =
            name === 'accept'
              ? 'waiting'
              : name === 'handshake'
                ? 'peer'
                : name === 'disconnect'
                  ? 'done'
                  : 'failing';
          stage.set(conn, after);
          inStage[after]++;
          // Never fewer than the truth; too many only by connections mid-handshake or closing.
          const over = peers.connected - inStage.peer;
          if (over < 0 || over > inStage.waiting + inStage.failing) {
            throw new Error(`gauge ${peers.connected} with ${JSON.stringify(inStage)}`);
          }
        }
        const n = (fate: Fate): number => fates.filter((f) => f === fate).length;
        const c = ledger.counts;
        expect(c.accepted).toBe(fates.length);
        expect(c.handshakes).toBe(n('stays') + n('leaves'));
        expect(c.failed.protocol).toBe(n('fails-protocol'));
        expect(c.failed.auth).toBe(n('fails-auth'));
        expect(c.failed.other).toBe(n('fails-other'));
        expect(c.failed.refused + c.disconnected).toBe(n('refused') + n('leaves'));
        if (n('waiting') === 0) {
          expect(c.failed.refused).toBe(n('refused'));
          expect(c.disconnected).toBe(n('leaves'));
          expect(peers.connected).toBe(n('stays'));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a bare disconnect for a refusal while a connection waits, and corrects it', () => {
    const peers = counter();
    const ledger = new PeerLedger(peers);
    ledger.accepted();
    ledger.handshake(); // a worker
    ledger.accepted(); // a stranger, mid-handshake
    expect(ledger.disconnected()).toBe('refused'); // the worker left: taken for the stranger
    expect(peers.connected).toBe(1);
    ledger.failed('other'); // the stranger times out: the earlier disconnect was the worker
    expect(peers.connected).toBe(0);
    expect(ledger.counts).toMatchObject({ disconnected: 1, failed: { refused: 0, other: 1 } });
    expect(ledger.disconnected()).toBe('failed');
  });
});

/**
 * The store's one NATS connection and what it sends on it. Every reply the store waits for
 * (PubAcks, pulled messages, answers to acks) comes to one wildcard inbox, told apart by the
 * reply subject's last token: no per-request subscription, promise timer or Error object on
 * the hot path (`js.publish()` of @nats-io/jetstream costs about 50 µs of CPU a message for
 * those). Requests that get no answer within `requestTimeoutMs` fail together from one sweep
 * timer. Admin calls (streams, consumers, stored messages) go through @nats-io/jetstream's
 * JetStreamManager.
 */
import { readFileSync } from 'node:fs';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  connect,
  createInbox,
  credsAuthenticator,
  type ConnectionOptions,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node';
import { StoreOptionError, StoreUnavailableError } from '../errors';
import { encodeMsgIdHeader } from './codec';
import type { ResolvedJetStreamOptions } from './options';

/** A PubAck as JetStream answers a publish to a stream. */
export type PubAckResult =
  | { ok: true; seq: number; duplicate: boolean }
  | { ok: false; errCode: number; description: string };

/** A message pulled from a consumer: its stream seq, how often delivered, and where to ack it. */
export interface Pulled {
  seq: number;
  deliveries: number;
  reply: string;
  data: Uint8Array;
}

interface Pending {
  deadline: number;
  /** Takes one reply; true when the request is complete. */
  take(msg: Msg): boolean;
  fail(err: Error): void;
}

const ACK_PREFIX = '$JS.ACK.';
/** How long past its expiry a pull waits for JetStream to say it ended, ms. */
const PULL_GRACE_MS = 200;
/** How long deliveries for a pull that ended are still taken (as late ones), ms. */
const LATE_MS = 5_000;
/** Least time an admin request (streams, consumers, stored messages) is given, ms. */
const ADMIN_TIMEOUT_MS = 5_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Stream seq and delivery count from a delivery's reply subject (both layouts JetStream uses). */
export function parseAckSubject(reply: string): { seq: number; deliveries: number } | undefined {
  if (!reply.startsWith(ACK_PREFIX)) return undefined;
  const t = reply.split('.');
  // $JS.ACK.stream.consumer.delivered.sseq.dseq.ts.pending (9 tokens), or with domain and
  // account hash after ACK and a random token at the end (12 tokens, nats-server 2.10+).
  const at = t.length === 9 ? 4 : t.length >= 12 ? 6 : -1;
  if (at < 0) return undefined;
  const deliveries = Number(t[at]);
  const seq = Number(t[at + 1]);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(deliveries)) return undefined;
  return { seq, deliveries };
}

/** The bytes of an ack body; the constant ones (`+ACK`, `-NAK`, ...) encoded once. */
const bodies = new Map<string, Uint8Array>();
function encodeBody(body: string): Uint8Array {
  let bytes = bodies.get(body);
  if (bytes === undefined) {
    bytes = enc.encode(body);
    if (body.length <= 5) bodies.set(body, bytes);
  }
  return bytes;
}

function statusOf(msg: Msg): { code: number; description: string } | undefined {
  // A status has no payload; looking at the headers first would decode every message's.
  if (msg.data.length > 0) return undefined;
  const h = msg.headers;
  if (h === undefined) return undefined;
  const code = h.code;
  return code > 0 ? { code, description: h.description } : undefined;
}

export class JsLink {
  private readonly inbox = createInbox();
  private readonly pending = new Map<string, Pending>();
  private nextToken = 1;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    private readonly timeoutMs: number,
  ) {
    nc.subscribe(`${this.inbox}.*`, { callback: (_err, msg) => this.reply(msg) });
    this.sweeper = setInterval(() => this.sweep(), Math.max(25, Math.min(250, timeoutMs / 4)));
    this.sweeper.unref();
    void nc.closed().then(() => this.failAll('the NATS connection closed'));
  }

  /** Connects (waiting for the first server to answer) and subscribes the inbox. */
  static async open(o: ResolvedJetStreamOptions): Promise<JsLink> {
    const options: ConnectionOptions = {
      servers: o.servers,
      name: o.name,
      // The store never wants its own publishes (readiness signals are for the other brokers).
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: o.requestTimeoutMs,
      // A server that stops answering (not a closed socket) is left after 2 missed pings.
      pingInterval: 5_000,
      maxPingOut: 2,
    };
    if (o.user !== undefined) {
      options.user = o.user;
      options.pass = o.password;
    }
    if (o.credsFile !== undefined) {
      let creds: Buffer;
      try {
        creds = readFileSync(o.credsFile);
      } catch (err) {
        throw new StoreOptionError(
          'credsFile',
          o.credsFile,
          `cannot be read (${(err as Error).message})`,
        );
      }
      options.authenticator = credsAuthenticator(creds);
    }
    if (o.tlsCaFile !== undefined) options.tls = { caFile: o.tlsCaFile };
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      throw new StoreUnavailableError(
        'open',
        `cannot connect to NATS at ${o.servers.join(', ')}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // Making a replicated stream takes a cluster longer than a publish: at least 5 s.
    const jsm = await jetstreamManager(nc, {
      checkAPI: false,
      timeout: Math.max(ADMIN_TIMEOUT_MS, o.requestTimeoutMs),
    });
    return new JsLink(nc, jsm, o.requestTimeoutMs);
  }

  /** Servers of the cluster: those given and those the servers advertise. */
  serverCount(given: readonly string[]): number {
    const urls = new Set(given.map((s) => s.replace(/^[a-z]+:\/\//, '')));
    for (const u of this.nc.info?.connect_urls ?? []) urls.add(u);
    return this.nc.info?.cluster === undefined ? 1 : urls.size;
  }

  /** Publishes to a stream's subject; resolves with its PubAck. */
  publish(subject: string, payload: Uint8Array, msgId?: string): Promise<PubAckResult> {
    return new Promise((resolve, reject) => {
      const reply = this.register({
        take: (msg) => {
          const status = statusOf(msg);
          if (status !== undefined) {
            const why =
              status.code === 503
                ? `no stream answered on ${subject} (503 no responders: no such stream, or its servers are electing a leader)`
                : `${status.code} ${status.description}`;
            reject(new StoreUnavailableError('append', why));
            return true;
          }
          resolve(parsePubAck(msg.data));
          return true;
        },
        fail: reject,
      });
      const opts: { reply: string; headers?: MsgHdrs } = { reply };
      if (msgId !== undefined && msgId !== '') {
        // nats.js's publish only calls encode() on the headers it is given (nats-core
        // protocol.js): the header is written once here, at a seventh of the cost of a
        // MsgHdrsImpl built and encoded per message (2.4 µs measured).
        const bytes = encodeMsgIdHeader(msgId);
        opts.headers = { encode: () => bytes } as unknown as MsgHdrs;
      }
      this.nc.publish(subject, payload, opts);
    });
  }

  /** Acks, naks, terminates or extends a delivery without waiting for JetStream's answer. */
  settle(reply: string, body: string): void {
    this.nc.publish(reply, encodeBody(body));
  }

  /** The same, resolving once JetStream has processed it (and every earlier one of the connection). */
  settleConfirmed(reply: string, body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const inbox = this.register({
        take: () => {
          resolve();
          return true;
        },
        fail: reject,
      });
      this.nc.publish(reply, encodeBody(body), { reply: inbox });
    });
  }

  /**
   * Pulls up to `batch` messages: resolves with those JetStream has now, as soon as it has
   * any, or with none after `waitMs` (a no-wait request with an expiry: JetStream answers it
   * at once when it has messages, holds it while it has none; without the expiry a request
   * can wait forever behind a message JetStream then gives up). JetStream delivers them with
   * their stream subject as the message subject, so each pull has a subscription of its own
   * (told apart by subscription, not by subject).
   *
   * A pull ends by count, by JetStream's end-of-request status, or `PULL_GRACE_MS` after its
   * expiry (nats-server 2.9 drops a request that expired while a message was on its way to it
   * without telling: consumer.go nextWaiting). Deliveries that still come for it within
   * `LATE_MS` (JetStream holds them for this store) go to `late`; the same for those of a pull
   * that failed.
   */
  pull(
    stream: string,
    consumer: string,
    batch: number,
    waitMs: number,
    late: (pulled: Pulled) => void,
  ): Promise<Pulled[]> {
    return new Promise((resolve, reject) => {
      const got: Pulled[] = [];
      const inbox = createInbox();
      let token = '';
      let ended = false;
      const end = (err?: Error): void => {
        if (ended) return;
        ended = true;
        clearTimeout(expiry);
        this.pending.delete(token);
        setTimeout(() => sub.unsubscribe(), LATE_MS).unref();
        if (err === undefined) resolve(got);
        else {
          for (const p of got) late(p);
          reject(err);
        }
      };
      const sub = this.nc.subscribe(inbox, {
        callback: (_err, msg) => {
          const status = statusOf(msg);
          if (status !== undefined) {
            // 404 nothing there, 408 the end of what there was (or other pulls ahead of this
            // one), 409 a limit of the consumer: each ends this pull with what came.
            if (
              status.code === 404 ||
              status.code === 408 ||
              (status.code === 409 && got.length > 0)
            ) {
              end();
            } else {
              end(
                new StoreUnavailableError(
                  'lease',
                  `pull from ${stream}: ${status.code} ${status.description}`,
                ),
              );
            }
            return;
          }
          const p = toPulled(msg);
          if (p === undefined) return;
          if (ended) {
            late(p);
            return;
          }
          got.push(p);
          if (got.length >= batch) end();
        },
      });
      const expiry = setTimeout(() => end(), waitMs + PULL_GRACE_MS);
      expiry.unref();
      token = this.register({ take: () => true, fail: (err) => end(err) }).slice(
        this.inbox.length + 1,
      );
      this.nc.publish(
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
        enc.encode(JSON.stringify({ batch, no_wait: true, expires: waitMs * 1_000_000 })),
        { reply: inbox },
      );
    });
  }

  /** Resolves once the server has read everything sent so far (a PING round trip). */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
    this.failAll('the store closed');
  }

  private register(p: Omit<Pending, 'deadline'>): string {
    // Called inside a Promise executor: the throw rejects that promise.
    if (this.closed || this.nc.isClosed()) {
      throw new StoreUnavailableError('request', 'the NATS connection is closed');
    }
    const token = (this.nextToken++).toString(36);
    this.pending.set(token, { ...p, deadline: Date.now() + this.timeoutMs });
    return `${this.inbox}.${token}`;
  }

  private reply(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const p = this.pending.get(token);
    if (p === undefined) return; // answered after its timeout: nothing waits for it
    let done: boolean;
    try {
      done = p.take(msg);
    } catch (err) {
      done = true;
      p.fail(err as Error);
    }
    if (done) this.pending.delete(token);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.pending) {
      // Same timeout for every request: the map is in deadline order.
      if (p.deadline > now) break;
      this.pending.delete(token);
      p.fail(
        new StoreUnavailableError(
          'request',
          `JetStream did not answer within ${this.timeoutMs} ms (${this.nc.isClosed() ? 'connection closed' : 'server unreachable or busy'})`,
        ),
      );
    }
  }

  private failAll(why: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.fail(new StoreUnavailableError('request', why));
  }
}

function toPulled(msg: Msg): Pulled | undefined {
  const reply = msg.reply;
  if (reply === undefined) return undefined;
  const info = parseAckSubject(reply);
  if (info === undefined) return undefined;
  return { seq: info.seq, deliveries: info.deliveries, reply, data: msg.data };
}

function parsePubAck(data: Uint8Array): PubAckResult {
  let v: {
    seq?: number;
    duplicate?: boolean;
    error?: { err_code?: number; code?: number; description?: string };
  };
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    return { ok: false, errCode: 0, description: 'the PubAck is not JSON' };
  }
  if (v.error !== undefined) {
    return {
      ok: false,
      errCode: v.error.err_code ?? v.error.code ?? 0,
      description: v.error.description ?? 'unknown error',
    };
  }
  return { ok: true, seq: v.seq ?? 0, duplicate: v.duplicate === true };
}

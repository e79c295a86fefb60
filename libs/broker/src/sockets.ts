import { Context, Publisher, Push, Router, type Socket } from 'zeromq';
import type { BrokerOptions } from './options';
import type { PeerRole } from './stats';
import { refusePreZmtp3 } from './zap-domain';

/** The endpoints a started broker is bound to (ports resolved when `*` was asked). */
export interface BrokerEndpoints {
  ingress: string;
  publish: string;
  push: string;
  /** The reliable port (durable queues), unless `--reliable off`. */
  reliable?: string;
  /** `http://host:port` of the monitor, when enabled. */
  monitor?: string;
}

/** What each bound socket is for; also the name a BindError gives. */
export type SocketRole = 'ingress' | 'publish' | 'push' | 'reliable';

/** Who connects to each bound socket. */
export const PEERS_OF: Readonly<Record<SocketRole, PeerRole>> = {
  ingress: 'producers',
  publish: 'subscribers',
  push: 'workers',
  reliable: 'clients',
};

/**
 * A socket the broker binds, with its role: the list every per-port concern walks (socket
 * events and peers, binding, closing; security settings belong there too, before the bind).
 */
export interface BoundSocket {
  readonly role: SocketRole;
  readonly socket: Socket;
  /** The endpoint asked for (BrokerEndpoints has the one bound). */
  readonly endpoint: string;
}

/** How long closed sockets may keep flushing what libzmq already holds (ms). */
export const CLOSE_LINGER_MS = 1000;

/** Socket options every socket of one broker takes: its context. */
export type ZmqContext = { context?: Context };

/**
 * More than one I/O thread needs a context of the broker's own, and so does CURVE (its ZAP
 * handler binds a fixed inproc endpoint: one per context, and none that another part of the
 * process may reach); otherwise the shared default.
 */
export function brokerContext(o: BrokerOptions): ZmqContext {
  const own = o.ioThreads > 1 || o.curveSecretKeyFile !== null;
  return own ? { context: new Context({ ioThreads: o.ioThreads }) } : {};
}

/**
 * Options of the ingress socket, whichever type the mode makes it (its inbound limits are set
 * with every bound socket's, by hardenBoundSocket).
 */
export function ingressOptions(zmq: ZmqContext): ZmqContext & { linger: number } {
  return { ...zmq, linger: 0 };
}

/** The bound PUB that re-publishes every message to subscribers. */
export function publishSocket(o: BrokerOptions, zmq: ZmqContext): Publisher {
  return new Publisher({
    ...zmq,
    linger: CLOSE_LINGER_MS,
    sendHighWaterMark: o.publishHwm,
    sendTimeout: 0,
  });
}

/**
 * The bound PUSH that hands each work message to one worker. Its send high-water mark and
 * kernel send buffer bound what is in flight to each worker (--push-hwm, --push-send-buffer):
 * what a worker that dies takes with it, uncounted.
 */
export function pushSocket(o: BrokerOptions, zmq: ZmqContext): Push {
  return new Push({
    ...zmq,
    linger: CLOSE_LINGER_MS,
    sendTimeout: 0,
    sendHighWaterMark: o.pushHwm,
    sendBufferSize: o.pushSendBufferBytes,
  });
}

/**
 * The largest frame the publish and push sockets take in (bytes): their peers send only
 * subscriptions (publish) or nothing at all (push), and libzmq disconnects a peer that sends a
 * bigger frame (ZMQ_MAXMSGSIZE). The limit covers handshake commands too, so it must hold a
 * READY (about 26 bytes from libzmq) and CURVE's handshake (HELLO 200 bytes, INITIATE about 250
 * plus metadata); the longest subscription a valid topic needs is 267 bytes (the ZMTP 3.1
 * SUBSCRIBE command name, a 255-byte topic and the space that makes it exact). One 16 MiB
 * subscription took a broker's PUB from 60 MB to 829 MB: libzmq keeps each byte of a
 * subscription as a node of its prefix tree.
 */
export const CONTROL_FRAME_MAX_BYTES = 512;

/**
 * What each bound socket takes in from one peer: the largest frame (libzmq disconnects the
 * sender of a bigger one) and the frames held before libzmq stops reading that peer (its
 * receive high-water mark). A push socket never reads: what a peer sends it stays in that
 * peer's pipe, so one frame is the most it may hold. The publish socket reads subscriptions as
 * they come, and the reliable port its clients' commands (libzmq's default of 1000 then bounds
 * a burst of them per peer).
 */
export const INBOUND_LIMITS: Readonly<
  Record<SocketRole, (o: BrokerOptions) => { maxFrameBytes: number; receiveHwm: number }>
> = {
  ingress: (o) => ({ maxFrameBytes: o.maxMessageBytes, receiveHwm: o.ingressHwm }),
  publish: () => ({ maxFrameBytes: CONTROL_FRAME_MAX_BYTES, receiveHwm: 1000 }),
  push: () => ({ maxFrameBytes: CONTROL_FRAME_MAX_BYTES, receiveHwm: 1 }),
  reliable: (o) => ({ maxFrameBytes: reliableMaxFrameBytes(o), receiveHwm: 1000 }),
};

// libzmq's ZMQ_RCVHWM: zeromq.js defines `receiveHighWaterMark` on readable sockets only.
const ZMQ_RCVHWM = 24;

/**
 * What every bound socket takes before it binds (libzmq copies the options into the listener
 * at bind): its ZAP domain (pre-ZMTP-3 peers refused: `refusePreZmtp3`), the handshake timeout (a connection
 * that never completes its handshake is closed), and its inbound limits (INBOUND_LIMITS).
 */
export function hardenBoundSocket({ role, socket }: BoundSocket, o: BrokerOptions): void {
  const inbound = INBOUND_LIMITS[role](o);
  refusePreZmtp3(socket, role);
  socket.handshakeInterval = o.handshakeTimeoutMs;
  socket.maxMessageSize = inbound.maxFrameBytes;
  (socket as unknown as { setInt32Option(id: number, value: number): void }).setInt32Option(
    ZMQ_RCVHWM,
    inbound.receiveHwm,
  );
}

/** Commands held per reliable client before a send to it fails (counted `peer-full`). */
export const RELIABLE_SEND_HWM = 10_000;
/**
 * Largest frame the reliable port accepts (libzmq disconnects a client that sends a bigger
 * one): a message may be NACKed `too-large` up to twice --max-message-bytes, and a PUBLISH
 * body of the protocol's 65,535 ids fits.
 */
export const RELIABLE_MIN_FRAME_BYTES = 16 * 1024 * 1024;

/** The reliable port's largest inbound frame (RELIABLE_MIN_FRAME_BYTES). */
function reliableMaxFrameBytes(o: BrokerOptions): number {
  return Math.max(2 * o.maxMessageBytes, RELIABLE_MIN_FRAME_BYTES);
}

/**
 * The bound ROUTER of the reliable port: synchronous sends (`sendTimeout: 0`) that fail
 * instead of dropping silently (`mandatory`: a client gone is EHOSTUNREACH, a full pipe
 * EAGAIN; the port counts both). Its inbound limits are set with every bound socket's
 * (hardenBoundSocket, INBOUND_LIMITS).
 */
export function reliableSocket(zmq: ZmqContext): Router {
  return new Router({
    ...zmq,
    linger: CLOSE_LINGER_MS,
    sendTimeout: 0,
    mandatory: true,
    sendHighWaterMark: RELIABLE_SEND_HWM,
  });
}

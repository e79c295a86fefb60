import { Context, Publisher, Push, Router, type Socket } from 'zeromq';
import type { BrokerOptions } from './options';
import type { PeerRole } from './stats';

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

/** More than one I/O thread needs a context of the broker's own; one is the shared default. */
export function brokerContext(o: BrokerOptions): ZmqContext {
  return o.ioThreads > 1 ? { context: new Context({ ioThreads: o.ioThreads }) } : {};
}

/** Options of the ingress socket, whichever type the mode makes it. */
export function ingressOptions(
  o: BrokerOptions,
  zmq: ZmqContext,
): ZmqContext & { linger: number; maxMessageSize: number; receiveHighWaterMark: number } {
  return {
    ...zmq,
    linger: 0,
    maxMessageSize: o.maxMessageBytes,
    receiveHighWaterMark: o.ingressHwm,
  };
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

/** The bound PUSH that hands each work message to one worker. */
export function pushSocket(zmq: ZmqContext): Push {
  return new Push({ ...zmq, linger: CLOSE_LINGER_MS, sendTimeout: 0 });
}

/** Commands held per reliable client before a send to it fails (counted `peer-full`). */
export const RELIABLE_SEND_HWM = 10_000;
/**
 * Largest frame the reliable port accepts (libzmq disconnects a client that sends a bigger
 * one): a message may be NACKed `too-large` up to twice --max-message-bytes, and a PUBLISH
 * body of the protocol's 65,535 ids fits.
 */
export const RELIABLE_MIN_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * The bound ROUTER of the reliable port: synchronous sends (`sendTimeout: 0`) that fail
 * instead of dropping silently (`mandatory`: a client gone is EHOSTUNREACH, a full pipe
 * EAGAIN; the port counts both).
 */
export function reliableSocket(o: BrokerOptions, zmq: ZmqContext): Router {
  return new Router({
    ...zmq,
    linger: CLOSE_LINGER_MS,
    sendTimeout: 0,
    mandatory: true,
    sendHighWaterMark: RELIABLE_SEND_HWM,
    maxMessageSize: Math.max(2 * o.maxMessageBytes, RELIABLE_MIN_FRAME_BYTES),
  });
}

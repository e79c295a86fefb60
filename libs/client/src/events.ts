/**
 * Connection events. ZeroMQ reconnects by itself; these events make that visible. Each SDK
 * class is an EventEmitter of `ConnectionEvents` (plus its own events).
 */
import type { EventEmitter } from 'node:events';
import type { Event, Socket } from 'zeromq';
import { HandshakeError, WrongSocketTypeError } from './errors';
import type { ClientRole } from './errors';

/** Which endpoint an event is about (the address as given to `connect`). */
export interface ConnectionEvent {
  readonly endpoint: string;
}

/** Events every SDK class emits, with the listener's arguments. */
export interface ConnectionEvents {
  /** TCP (or IPC) connection established; the ZMTP handshake follows. */
  connect: [ConnectionEvent];
  /** ZMTP handshake done: the link can carry messages. */
  handshake: [ConnectionEvent];
  /** The link was lost; ZeroMQ keeps reconnecting on its own. */
  disconnect: [ConnectionEvent];
  /** A (re)connection attempt is scheduled in `intervalMs`. */
  retry: [ConnectionEvent & { readonly intervalMs: number }];
  /**
   * The handshake failed: a `HandshakeError` naming the likely cause (a key the broker refused,
   * CURVE on one side only, a wrong server key). A peer that refused our socket type gives a
   * `WrongSocketTypeError`: likely the wrong port, and ZeroMQ does not retry it.
   */
  'handshake-error': [ConnectionEvent & { readonly error: Error }];
}

/** The EventEmitter side of a class emitting `ConnectionEvents` (and maybe more). */
type Emitter = Pick<EventEmitter<ConnectionEvents>, 'emit'>;

/**
 * Internal hook: the raw zeromq event type and its endpoint, after it was re-emitted;
 * `refused` after the `disconnect` of a connection whose peer refused our socket type. A
 * handshake failure comes with the `HandshakeError` emitted.
 */
export type SocketEventHook = (
  type: Event['type'] | 'refused',
  endpoint: string,
  error?: HandshakeError,
) => void;

/** Peers that hang up mid-handshake show as these in `handshake:error:other`. */
const HUNG_UP = new Set(['EPIPE', 'ECONNRESET']);

/**
 * The `HandshakeError` of a failed handshake event: what it most likely means for a client that
 * runs CURVE (`curve`) or not. An authentication failure is a refused key; a mechanism mismatch
 * is CURVE on one side only; a peer that hangs up mid-handshake is, for a CURVE client, most
 * likely a wrong server key (the broker cannot open its hello), and for a plain one either a
 * CURVE broker that saw the mismatch first or a socket of the wrong type (`hung-up`).
 */
export function handshakeError(
  event: Extract<Event, { type: `handshake:error:${string}` }>,
  endpoint: string,
  role: ClientRole,
  curve: boolean,
): HandshakeError {
  const cause = event.error;
  if (event.type === 'handshake:error:auth') {
    return new HandshakeError(endpoint, role, 'key-refused', { cause });
  }
  const code = (cause as { code?: string }).code ?? '';
  if (event.type === 'handshake:error:protocol') {
    if (code === 'ERR_ZMTP_MECHANISM_MISMATCH') {
      return new HandshakeError(endpoint, role, curve ? 'no-curve' : 'needs-curve', { cause });
    }
    return new HandshakeError(endpoint, role, 'protocol', { cause, detail: code });
  }
  if (HUNG_UP.has(code)) {
    return new HandshakeError(endpoint, role, curve ? 'server-key' : 'hung-up', {
      cause,
      retried: true,
    });
  }
  return new HandshakeError(endpoint, role, 'protocol', {
    cause,
    detail: cause.message,
    retried: true,
  });
}

/**
 * Which of `endpoints` (as given to `connect`) a monitor event's address is about. libzmq
 * reports a reconnection by the address it resolved (`tcp://127.0.0.1:5556` for
 * `tcp://localhost:5556`): the same address, or else the only endpoint, or else the only one
 * of the same transport and port; failing all, the address itself.
 */
export function endpointOf(address: string, endpoints: readonly string[]): string {
  if (endpoints.includes(address) || endpoints.length === 0) return address;
  if (endpoints.length === 1) return endpoints[0] as string;
  const key = (e: string): string => `${e.slice(0, e.indexOf('://'))} ${/:(\d+)$/.exec(e)?.[1]}`;
  const same = endpoints.filter((e) => /:\d+$/.test(e) && key(e) === key(address));
  return same.length === 1 ? (same[0] as string) : address;
}

/**
 * Re-emits the socket's monitor events on `target`, then calls `hook`, both with the endpoint
 * the event is about: one of `endpoints`, as given to `connect` (see endpointOf). The loop
 * ends when the socket closes.
 *
 * A connection that drops after `connect` with neither `handshake` nor a handshake error
 * between is one whose peer refused our socket type: libzmq 4.3 checks the peer's type in the
 * handshake and, when they cannot talk, drops the connection without a handshake-failure event
 * and never reconnects. That is re-emitted as `handshake-error` with a `WrongSocketTypeError`
 * naming the broker endpoint `role` should use.
 *
 * It reads the observer with `receive()` rather than zeromq's `events.on()`: that emitter is set
 * up once per process on the native prototype and breaks when a module registry is reloaded
 * (Jest runs several test files in one process).
 */
export function forwardConnectionEvents(
  socket: Socket,
  target: Emitter,
  endpoints: readonly string[],
  role: ClientRole,
  hook?: SocketEventHook,
): void {
  const observer = socket.events;
  const curve = socket.securityMechanism === 'curve';
  /** Endpoints whose current connection has not yet finished or failed its handshake. */
  const handshaking = new Set<string>();
  const dispatch = (event: Event): void => {
    if (!('address' in event)) return;
    const endpoint = endpointOf(event.address, endpoints);
    const at: ConnectionEvent = { endpoint };
    switch (event.type) {
      case 'connect':
        handshaking.add(endpoint);
        target.emit(event.type, at);
        break;
      case 'handshake':
        handshaking.delete(endpoint);
        target.emit(event.type, at);
        break;
      case 'disconnect':
        target.emit(event.type, at);
        break;
      case 'connect:retry':
        target.emit('retry', { ...at, intervalMs: event.interval });
        break;
      case 'handshake:error:protocol':
      case 'handshake:error:auth':
      case 'handshake:error:other': {
        handshaking.delete(endpoint);
        const error = handshakeError(event, endpoint, role, curve);
        target.emit('handshake-error', { ...at, error });
        hook?.(event.type, endpoint, error);
        return;
      }
      default:
        break;
    }
    hook?.(event.type, endpoint);
    if (event.type === 'disconnect' && handshaking.delete(endpoint) && !socket.closed) {
      target.emit('handshake-error', { ...at, error: new WrongSocketTypeError(endpoint, role) });
      hook?.('refused', endpoint);
    }
  };
  void (async () => {
    while (!observer.closed) {
      let event: Event;
      try {
        event = await observer.receive();
      } catch {
        return; // the socket (and with it the observer) was closed
      }
      dispatch(event);
    }
  })();
}

/**
 * For programs that print handshake failures: returns a `handshake-error`'s message the first
 * time its endpoint fails that way (a `HandshakeError`'s `failure`, or a wrong socket type),
 * undefined after (ZeroMQ retries some failures every 100 ms or so), and undefined for a
 * `hung-up`, which says nothing sure: the next attempt's failure does.
 */
export function firstHandshakeErrors(): (error: Error) => string | undefined {
  const said = new Set<string>();
  return (error) => {
    if (error instanceof HandshakeError && error.failure === 'hung-up') return undefined;
    const key =
      error instanceof HandshakeError
        ? `${error.endpoint} ${error.failure}`
        : error instanceof WrongSocketTypeError
          ? `${error.endpoint} wrong-socket-type`
          : error.message;
    if (said.has(key)) return undefined;
    said.add(key);
    return error.message;
  };
}

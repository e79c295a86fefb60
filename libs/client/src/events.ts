/**
 * Connection events. ZeroMQ reconnects by itself; these events make that visible. Each SDK
 * class is an EventEmitter of `ConnectionEvents` (plus its own events).
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'zeromq';

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
  /** The handshake failed (protocol mismatch, authentication, …). */
  'handshake-error': [ConnectionEvent & { readonly error: Error }];
}

/** The EventEmitter side of a class emitting `ConnectionEvents` (and maybe more). */
type Emitter = Pick<EventEmitter<ConnectionEvents>, 'emit'>;

/**
 * Re-emits the socket's monitor events on `target`. `endpoint` names the link when a socket
 * serves one endpoint; otherwise the event's own address is used. The observer ends when the
 * socket closes.
 */
export function forwardConnectionEvents(socket: Socket, target: Emitter, endpoint?: string): void {
  const at = (address: string): ConnectionEvent => ({ endpoint: endpoint ?? address });
  const events = socket.events;
  events.on('connect', (e) => target.emit('connect', at(e.address)));
  events.on('handshake', (e) => target.emit('handshake', at(e.address)));
  events.on('disconnect', (e) => target.emit('disconnect', at(e.address)));
  events.on('connect:retry', (e) =>
    target.emit('retry', { ...at(e.address), intervalMs: e.interval }),
  );
  const failed = (e: { address: string; error: Error }): void => {
    target.emit('handshake-error', { ...at(e.address), error: e.error });
  };
  events.on('handshake:error:protocol', failed);
  events.on('handshake:error:auth', failed);
  events.on('handshake:error:other', failed);
}

import type { Socket } from 'zeromq';
import type { SocketRole } from './sockets';

/** The ZAP domain of a bound socket: `zmq-mq.<role>` (`zmq-mq.ingress`, …). */
export function zapDomainOf(role: SocketRole): string {
  return `zmq-mq.${role}`;
}

/**
 * Makes a bound socket refuse peers older than ZMTP 3.0 by giving it a ZAP domain (before it
 * binds: libzmq copies the option into the listener). With a domain in force libzmq refuses a
 * ZMTP 1.0 or 2.0 handshake, and so anything that is not ZeroMQ at all (a first byte other than
 * 0xFF reads as ZMTP 1.0), instead of taking its bytes as messages or handing it work
 * (`zmtp_engine.cpp`: `handshake_v1_0_unversioned`, `handshake_v1_0` and `handshake_v2_0` fail
 * when `session_base_t::zap_enabled()`, which a non-empty domain makes true).
 *
 * With no ZAP handler in the socket's context, ZMTP 3 peers of the NULL mechanism pass as before
 * (libzmq does not enforce the domain: ZMQ_ZAP_ENFORCE_DOMAIN is off). With a handler bound at
 * `inproc://zeromq.zap.01` in the same context, libzmq asks it about every connection, NULL ones
 * included: the request's domain is this name and its mechanism `NULL`, and the handler must
 * answer 200 to NULL requests on ports without CURVE, or every peer there is refused (counted as
 * an `auth` handshake failure).
 */
export function refusePreZmtp3(socket: Socket, role: SocketRole): void {
  socket.zapDomain = zapDomainOf(role);
}

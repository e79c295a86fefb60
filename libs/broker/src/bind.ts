import { connect } from 'node:net';
import { needsIpv6 } from '@zmq-mq/protocol';
import type { Socket } from 'zeromq';
import { BindError } from './errors';
import type { Logger } from './logger';
import { isExposedEndpoint, isExposedHost, type MonitorAddress } from './options';
import type { BrokerEndpoints } from './sockets';

/**
 * Whether a process accepts connections on the unix socket at `path` (false for no file, a
 * stale socket file or anything else), waiting at most 1 s.
 */
function unixSocketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (answered: boolean): void => {
      probe.destroy();
      resolve(answered);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(1000, () => done(false));
  });
}

/**
 * Binds `socket` (IPv6 turned on for a bracketed address) and resolves with the endpoint bound.
 * On a socket with a monitor, zeromq.js reports every failed bind as EAGAIN ("Operation was not
 * possible or timed out": the monitor's own send overwrites libzmq's errno); the monitor's
 * `bind:error` event carries the real reason ("Address already in use", "File name too long"),
 * which `reasons` hands on (PeerEvents), so a failure waits up to 0.5 s for it. An `ipc://` path
 * that a process listens on is refused: libzmq would unlink it and bind anew, silently taking it
 * from its owner. Throws `BindError`.
 */
export async function bindSocket(
  socket: Socket,
  name: string,
  endpoint: string,
  reasons: { bindError(socket: Socket): Error | undefined },
): Promise<string> {
  const path = /^ipc:\/\/([^@].*)$/.exec(endpoint)?.[1];
  if (path !== undefined && (await unixSocketAnswers(path))) {
    throw new BindError(name, endpoint, {
      cause: new Error('Address already in use (a process is listening on that path)'),
    });
  }
  try {
    if (needsIpv6(endpoint)) socket.ipv6 = true;
    await socket.bind(endpoint);
  } catch (err) {
    for (let i = 0; i < 50 && reasons.bindError(socket) === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new BindError(name, endpoint, { cause: reasons.bindError(socket) ?? err });
  }
  return socket.lastEndpoint ?? endpoint;
}

/** Warns of each socket, and of the monitor, bound beyond loopback. */
export function warnIfExposed(
  log: Logger,
  endpoints: BrokerEndpoints,
  monitor: MonitorAddress | null,
  curve: boolean,
): void {
  for (const [name, endpoint] of Object.entries(endpoints)) {
    // With CURVE every port is encrypted and every client authenticated: nothing to warn of.
    if (!curve && name !== 'monitor' && isExposedEndpoint(endpoint)) {
      log.warn(
        { socket: name, endpoint },
        'bound beyond loopback without encryption: anyone who can reach this address can publish and read messages',
      );
    }
  }
  if (monitor !== null && isExposedHost(monitor.host)) {
    log.warn(
      { socket: 'monitor', endpoint: endpoints.monitor },
      'monitor bound beyond loopback: plain HTTP, so its token and what it shows travel in clear; put it behind TLS beyond a trusted network',
    );
  }
}

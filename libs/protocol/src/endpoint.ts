/**
 * ZeroMQ endpoints: the broker's defaults, and the rules for an endpoint the broker binds and
 * for one a client connects to. The two differ where libzmq does: a bind may ask for any free
 * port (`*` or 0) and has no source address; a connect needs a real port (libzmq accepts port
 * 0 and then never links), may name a source (`tcp://eth0;host:port`), and may use ws://.
 */
import { OptionError } from './errors';

/** Where producers connect their PUB sockets: the broker's ingress. */
export const DEFAULT_INGRESS = 'tcp://127.0.0.1:5555';
/** Where subscribers connect their SUB sockets: the broker's publish socket. */
export const DEFAULT_PUBLISH = 'tcp://127.0.0.1:5556';
/** Where workers connect their PULL sockets: the broker's push socket. */
export const DEFAULT_PUSH = 'tcp://127.0.0.1:5557';
/** Where reliable clients (confirmed publishers, queue workers) connect their DEALER sockets. */
export const DEFAULT_RELIABLE = 'tcp://127.0.0.1:5558';

const NOT_AN_ENDPOINT = 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555';
const TCP_FORM =
  'a tcp endpoint must be tcp://host:port (an IPv6 address in brackets: tcp://[::1]:5555)';
/** A host name or IPv4 address (no colon), or an IPv6 address in brackets. */
const TCP_HOST = /^(\[[^\][\s]+\]|[^:\][\s]+)$/;

/** The host and port (digits or `*`, as written) of `host:port`, if it has that form. */
function tcpHostPort(address: string): { host: string; port: string } | undefined {
  const m = /^(.*):(\d{1,5}|\*)$/.exec(address);
  if (m === null || !TCP_HOST.test(m[1] as string)) return undefined;
  return { host: m[1] as string, port: m[2] as string };
}

/**
 * An endpoint to bind: `tcp://host:port` (port 0..65535, or `*`; `*` and 0 ask for any free
 * port), `ipc://path` or `inproc://name`. Returns it unchanged; throws `OptionError` naming
 * `option` and the problem.
 */
export function parseBindEndpoint(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OptionError(option, value, NOT_AN_ENDPOINT);
  }
  const m = /^(tcp|ipc|inproc):\/\/(.+)$/.exec(value);
  if (!m) throw new OptionError(option, value, 'must start with tcp://, ipc:// or inproc://');
  if (m[1] === 'tcp') {
    const address = tcpHostPort(m[2] as string);
    if (address === undefined) throw new OptionError(option, value, TCP_FORM);
    if (address.port !== '*' && Number(address.port) > 65535) {
      throw new OptionError(option, value, 'the port must be 0..65535 or *');
    }
  }
  return value;
}

/**
 * Why libzmq would accept a connect to `endpoint` and then never link, if it would: a tcp
 * endpoint whose port is missing, `*`, 0 or past 65535, or whose IPv6 address is not bracketed.
 */
function unreachableReason(endpoint: string): string | undefined {
  if (!endpoint.startsWith('tcp://')) return undefined;
  // The destination after any `source;` part.
  const target = endpoint.slice(endpoint.lastIndexOf(';') + 1).replace(/^tcp:\/\//, '');
  const address = tcpHostPort(target);
  if (address === undefined || address.port === '*') return TCP_FORM;
  const port = Number(address.port);
  return port >= 1 && port <= 65535 ? undefined : 'the port must be 1..65535';
}

/**
 * Endpoints to connect to: one or several (`fallback` when `value` is undefined), each
 * `tcp://[source;]host:port` (port 1..65535), `ipc://`, `inproc://`, `ws://` or `wss://`.
 * Returns a non-empty list of distinct endpoints; throws `OptionError` naming `option`.
 */
export function parseConnectEndpoints(
  option: string,
  value: string | readonly string[] | undefined,
  fallback: string,
): string[] {
  const list = value === undefined ? [fallback] : typeof value === 'string' ? [value] : [...value];
  if (list.length === 0) throw new OptionError(option, value, 'needs at least one endpoint');
  for (const ep of list) {
    if (typeof ep !== 'string' || !/^(tcp|ipc|inproc|ws|wss):\/\/\S+$/.test(ep)) {
      throw new OptionError(option, ep, NOT_AN_ENDPOINT);
    }
    const reason = unreachableReason(ep);
    if (reason !== undefined) throw new OptionError(option, ep, reason);
  }
  if (new Set(list).size !== list.length) {
    throw new OptionError(option, value, 'lists the same endpoint twice');
  }
  return list;
}

/**
 * Whether a ZeroMQ endpoint names an IPv6 address (`tcp://[::1]:5555`, or as the destination
 * after a source: `tcp://eth0;[::1]:5555`). libzmq leaves IPv6 off unless the socket's `ipv6`
 * option is set: a bind then fails ("No such device") and a connect is accepted but never
 * links, so every socket that binds or connects such an endpoint must turn it on first. Host
 * names are left alone: with `ipv6` on, `localhost` may resolve to `::1` first and miss a
 * broker bound to 127.0.0.1.
 */
export function needsIpv6(endpoint: string): boolean {
  return /^tcp:\/\/(?:[^;[]*;)?\[/.test(endpoint);
}

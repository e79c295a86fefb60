/**
 * Whether a ZeroMQ endpoint names an IPv6 address (`tcp://[::1]:5555`, or as the destination
 * after a source: `tcp://eth0;[::1]:5555`). libzmq leaves IPv6 off unless the socket's `ipv6`
 * option is set: a bind then fails ("No such device") and a connect is accepted but never
 * links, so every socket that binds or connects such an endpoint must turn it on first. Host names are left alone: with `ipv6` on, `localhost` may resolve to `::1`
 * first and miss a broker bound to 127.0.0.1.
 */
export function needsIpv6(endpoint: string): boolean {
  return /^tcp:\/\/(?:[^;[]*;)?\[/.test(endpoint);
}

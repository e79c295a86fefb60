import { Counter, Gauge, type Registry } from 'prom-client';
import type { AllowlistView, SecuritySnapshot } from './broker-security';
import { KEY_ROLES } from './broker-security';

/**
 * The security metrics, read from a snapshot when scraped: refused handshakes by port and
 * reason, accepted CURVE handshakes by port and key name, the keys of each allowlist and its
 * failed readings, and monitor requests refused for want of the token.
 */
export function registerSecurityMetrics(
  register: Registry,
  snapshot: () => SecuritySnapshot,
  monitorUnauthorized: () => number,
): void {
  new Counter({
    name: 'zmqmq_handshakes_refused_total',
    help: 'Handshakes the broker refused, per port and reason (unknown-key, wrong-role, plain-text, wrong-server-key, bad-handshake, wrong-mechanism)',
    labelNames: ['port', 'reason'],
    registers: [register],
    collect() {
      this.reset();
      for (const [port, reasons] of Object.entries(snapshot().refused)) {
        for (const [reason, n] of Object.entries(reasons)) this.inc({ port, reason }, n);
      }
    },
  });
  new Counter({
    name: 'zmqmq_curve_handshakes_total',
    help: 'CURVE handshakes accepted, per port and client key name (the name after the key in its allowlist)',
    labelNames: ['port', 'client'],
    registers: [register],
    collect() {
      this.reset();
      for (const [port, names] of Object.entries(snapshot().accepted)) {
        for (const [client, n] of Object.entries(names)) this.inc({ port, client }, n);
      }
    },
  });
  // Per allowlist given (a role without one has no series).
  const perList = (metric: Gauge | Counter, read: (list: AllowlistView) => number): void => {
    metric.reset();
    const lists = snapshot().allowlists;
    for (const role of KEY_ROLES) {
      const list = lists[role];
      if (list === null) continue;
      if (metric instanceof Gauge) metric.set({ role }, read(list));
      else metric.inc({ role }, read(list));
    }
  };
  new Gauge({
    name: 'zmqmq_allowlist_keys',
    help: 'Keys in force per allowlist (producers, subscribers, workers)',
    labelNames: ['role'],
    registers: [register],
    collect() {
      perList(this, (list) => list.keys);
    },
  });
  new Counter({
    name: 'zmqmq_allowlist_read_failures_total',
    help: 'Times an allowlist file changed but could not be read (the keys before stayed in force)',
    labelNames: ['role'],
    registers: [register],
    collect() {
      perList(this, (list) => list.failures);
    },
  });
  new Counter({
    name: 'zmqmq_monitor_unauthorized_total',
    help: 'Monitor requests refused for want of the token (401 and 403)',
    registers: [register],
    collect() {
      this.reset();
      this.inc(monitorUnauthorized());
    },
  });
}

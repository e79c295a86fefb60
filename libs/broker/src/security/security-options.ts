import { OptionError } from '@zmq-mq/protocol';
import type { BrokerOptionKey, BrokerOptions } from '../options';

/** What the checks read from options.ts (passed in: options.ts calls them). */
export interface ExposureRules {
  /** The options of the bound sockets, each checked for a bind beyond loopback. */
  endpoints: ReadonlyArray<BrokerOptionKey & keyof BrokerOptions>;
  isExposedEndpoint(endpoint: string): boolean;
  isExposedHost(host: string): boolean;
}

/** The allowlist option of each client role. */
export const ALLOWLIST_OPTIONS = ['allowProducers', 'allowSubscribers', 'allowWorkers'] as const;

/**
 * The security rules between options, after each was parsed: an allowlist needs CURVE; a
 * socket bound beyond loopback needs CURVE unless `insecure`; a monitor beyond loopback needs a
 * token file. Throws `OptionError` naming the option as the user wrote it (`name`).
 */
export function checkSecurityOptions(
  options: BrokerOptions,
  name: (key: BrokerOptionKey) => string,
  rules: ExposureRules,
): void {
  const curve = options.curveSecretKeyFile !== null;
  for (const key of ALLOWLIST_OPTIONS) {
    if (options[key] !== null && !curve) {
      throw new OptionError(
        name(key),
        options[key],
        `needs ${name('curveSecretKeyFile')}: without CURVE no client has a key to check`,
      );
    }
  }
  if (!curve && !options.insecure) {
    for (const key of rules.endpoints) {
      const endpoint = options[key] as string | null;
      if (endpoint !== null && rules.isExposedEndpoint(endpoint)) {
        throw new OptionError(
          name(key),
          endpoint,
          `is reachable beyond this machine, and without CURVE anyone who reaches it can publish and read in plain text: give ${name('curveSecretKeyFile')} (docs/security.md), or ${name('insecure')} to bind it as it is`,
        );
      }
    }
  }
  const monitor = options.monitor;
  if (monitor !== null && rules.isExposedHost(monitor.host) && options.monitorTokenFile === null) {
    throw new OptionError(
      name('monitor'),
      `${monitor.host}:${monitor.port}`,
      `is reachable beyond this machine: give ${name('monitorTokenFile')} so that every request must carry its token`,
    );
  }
}

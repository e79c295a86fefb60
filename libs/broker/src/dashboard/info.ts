import { version as libzmqVersion } from 'zeromq';
import type { BrokerMode } from '../forwarding';
import {
  OPTION_NAMES,
  SECRET_OPTIONS,
  type BrokerOptionKey,
  type BrokerOptions,
} from '../options';
import { formatQueueSpec } from '../reliable/queue-spec';
import type { BrokerEndpoints } from '../sockets';
import type { BrokerInfo, BrokerOptionView } from './shapes';

/**
 * Every option in force, with its flag and variable. Each value is shown as parsed, but a
 * secret (SECRET_OPTIONS: the NATS password) is `(hidden)`; keys and tokens are options
 * naming the file they are read from.
 */
export function optionViews(options: BrokerOptions): BrokerOptionView[] {
  return (Object.keys(OPTION_NAMES) as BrokerOptionKey[]).map((name) => {
    const value = options[name];
    const { flag, env } = OPTION_NAMES[name];
    const shown =
      value !== null && SECRET_OPTIONS.has(name)
        ? '(hidden)'
        : value === null || typeof value === 'string' || typeof value === 'number'
        ? value
        : typeof value === 'boolean'
          ? String(value)
          : Array.isArray(value)
            ? value.length === 0
              ? null
              : value.map(formatQueueSpec).join(' ') // as the variable takes several
            : `${value.host.includes(':') ? `[${value.host}]` : value.host}:${value.port}`;
    return { name, flag, env, value: shown };
  });
}

/** What `BrokerInfo` says of a broker, less the event stream's own figures. */
export function brokerInfo(from: {
  version: string;
  instance: string;
  mode: BrokerMode;
  startedAt: number;
  endpoints: BrokerEndpoints | undefined;
  options: BrokerOptions;
}): Omit<BrokerInfo, 'events'> {
  return {
    version: from.version,
    instance: from.instance,
    pid: process.pid,
    node: process.version,
    libzmq: libzmqVersion,
    mode: from.mode,
    startedAt: from.startedAt,
    endpoints: from.endpoints,
    options: optionViews(from.options),
  };
}

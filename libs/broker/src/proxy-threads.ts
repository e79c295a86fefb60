import type { Proxy } from 'zeromq';
import { ThreadPoolError } from './errors';

/** libuv's own default when UV_THREADPOOL_SIZE is not set. */
export const DEFAULT_THREAD_POOL_SIZE = 4;
/** libuv's upper bound for UV_THREADPOOL_SIZE. */
const MAX_THREAD_POOL_SIZE = 1024;
/**
 * Pool threads left free for everything else that needs one while the proxies run: binds and
 * unbinds of ZeroMQ sockets, the store's commits, file reads, DNS lookups.
 */
export const THREAD_POOL_RESERVE = 2;
/** Proxies one broker runs: the fan-out and the ingress or work path, in either mode. */
export const PROXIES_PER_BROKER = 2;

/** The size of libuv's thread pool as `env` sets it (UV_THREADPOOL_SIZE), as libuv reads it. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['UV_THREADPOOL_SIZE'];
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n <= 0) return DEFAULT_THREAD_POOL_SIZE;
  return Math.min(n, MAX_THREAD_POOL_SIZE);
}

/** Pool threads a broker holds for its proxies; `release()` once they have ended. */
export interface ProxyThreadLease {
  /** Runs `proxy` on one of the leased threads; the promise settles when it ends. */
  run(proxy: Proxy): Promise<void>;
  release(): void;
}

/**
 * Accounts for libuv's thread pool across the brokers of one process. zeromq.js runs each
 * `Proxy` (zmq_proxy_steerable) on a thread of libuv's pool for as long as it forwards, and the
 * pool is small (4 threads unless UV_THREADPOOL_SIZE says otherwise). Once running proxies hold
 * every thread, whatever else needs the pool waits until one ends: a socket's bind or unbind, a
 * file read, the store's commit. Measured: with two brokers running (four proxies) in one
 * process of the default pool, `fs.promises.readFile` and a third broker's binds had not
 * returned after 3 s, and a stop that waited on one of them never came. A broker therefore
 * leases its proxies' threads before it binds anything, and is refused with a ThreadPoolError
 * when the lease would leave fewer than THREAD_POOL_RESERVE threads free.
 */
export class ProxyThreads {
  private leased = 0;
  private readonly runningProxies = new Set<Proxy>();

  constructor(private readonly poolSize: () => number = () => threadPoolSize()) {}

  /** Threads leased now, by every broker of the process. */
  get leasedThreads(): number {
    return this.leased;
  }

  /** Proxies running now (each holds a pool thread). */
  get running(): ReadonlySet<Proxy> {
    return this.runningProxies;
  }

  /** Leases `count` threads, or throws ThreadPoolError naming the pool size to set. */
  lease(count: number = PROXIES_PER_BROKER): ProxyThreadLease {
    const size = this.poolSize();
    const needed = this.leased + count + THREAD_POOL_RESERVE;
    if (needed > size) throw new ThreadPoolError(size, this.leased, count, needed);
    this.leased += count;
    let released = false;
    return {
      run: (proxy) => {
        this.runningProxies.add(proxy);
        return proxy.run().finally(() => this.runningProxies.delete(proxy));
      },
      release: () => {
        if (released) return;
        released = true;
        this.leased -= count;
      },
    };
  }
}

/** The process's one account of libuv's thread pool, shared by every Broker in it. */
export const proxyThreads = new ProxyThreads();

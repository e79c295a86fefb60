// Each running proxy holds one of libuv's pool threads: brokers lease them before they bind,
// and one the pool cannot carry is refused with a ThreadPoolError instead of hanging later.
import { ThreadPoolError, threadPoolSize } from '../src';
import { ProxyThreads, proxyThreads } from '../src/proxy-threads';
import { brokerFixture, testBroker } from './helpers';

describe('threadPoolSize', () => {
  it('reads UV_THREADPOOL_SIZE as libuv does: 4 unless a positive number, at most 1024', () => {
    expect(threadPoolSize({})).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '8' })).toBe(8);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' })).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '0' })).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
  });
});

describe('ProxyThreads', () => {
  it('leases threads while two stay free, and says which pool size would do', () => {
    const threads = new ProxyThreads(() => 6);
    const first = threads.lease(2);
    const second = threads.lease(2);
    expect(threads.leasedThreads).toBe(4);
    let refusal: unknown;
    try {
      threads.lease(2);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ThreadPoolError);
    expect(refusal).toMatchObject({ code: 'ZMQMQ_ERR_THREAD_POOL', poolSize: 6, needed: 8 });
    expect((refusal as Error).message).toContain('UV_THREADPOOL_SIZE=8');
    first.release();
    first.release(); // idempotent
    expect(threads.leasedThreads).toBe(2);
    threads.lease(2).release();
    second.release();
    expect(threads.leasedThreads).toBe(0);
  });
});

describe('a broker and the thread pool', () => {
  const { broker } = brokerFixture();
  const saved = process.env.UV_THREADPOOL_SIZE;
  afterEach(() => {
    if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = saved;
  });

  it('holds two threads while it runs, and none once stopped', async () => {
    const b = await broker();
    expect(proxyThreads.leasedThreads).toBe(2);
    expect(proxyThreads.running.size).toBe(2);
    await b.stop();
    expect(proxyThreads.leasedThreads).toBe(0);
    expect(proxyThreads.running.size).toBe(0);
  });

  it.each(['payload', 'full'] as const)(
    'push format %s: a second broker on a pool of 4 is refused before it binds; the first goes on',
    async (pushFormat) => {
      process.env.UV_THREADPOOL_SIZE = '4';
      const first = await broker({ pushFormat });
      const second = testBroker({ pushFormat });
      await expect(second.start()).rejects.toThrow(ThreadPoolError);
      expect(second.endpoints).toBeUndefined();
      await expect(second.start()).rejects.toThrow(/called on a broker that is stopped/);
      await second.stop();
      expect(proxyThreads.leasedThreads).toBe(2);
      expect(proxyThreads.running.size).toBe(2);
      await first.stop();
      // Its threads are back: a broker starts again on the same pool.
      const third = await broker({ pushFormat });
      expect(third.endpoints).toBeDefined();
      expect(proxyThreads.running.size).toBe(2);
    },
  );
});

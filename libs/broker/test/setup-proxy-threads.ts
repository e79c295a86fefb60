// After each test file: no proxy may still run, and no broker may still hold pool threads.
// A proxy left running holds one of libuv's few pool threads for the life of the process, and
// once they are all held every later bind waits forever: the failure then shows in some later
// file's stop(), far from its cause. This names the file that left it.
import { endProxy } from '../src/end-proxy';
import { proxyThreads } from '../src/proxy-threads';
import { waitFor } from './helpers';

afterAll(async () => {
  const running = [...proxyThreads.running];
  const leased = proxyThreads.leasedThreads;
  if (running.length === 0 && leased === 0) return;
  for (const proxy of running) endProxy(proxy);
  await waitFor(() => proxyThreads.running.size === 0, 5000, 'the proxies left running to end');
  throw new Error(
    `after this file's tests ${running.length} proxies still ran and ${leased} pool threads were leased: a broker was not stopped`,
  );
});

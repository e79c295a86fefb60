import { freeEndpoint, freePort } from '@zmq-mq/protocol/testing';
import { startNode } from '../src/process';
import { runPython } from '../src/python';

describe('e2e harness', () => {
  it('finds free loopback ports', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await freeEndpoint()).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs a process, reads its lines and sees its exit status', async () => {
    const p = startNode('-e', [
      'process.on("SIGTERM", () => process.exit(3)); console.log("ready"); setTimeout(() => {}, 5000)',
    ]);
    try {
      await p.waitForLine(/^ready$/);
      expect(await p.stop('SIGTERM')).toEqual({ code: 3, signal: null });
    } finally {
      p.kill();
    }
  });

  it('has Python with pyzmq and msgpack for the interop tests', () => {
    const out = runPython('import zmq, msgpack; print(zmq.zmq_version_info()[0])')
      .toString()
      .trim();
    expect(Number(out)).toBeGreaterThanOrEqual(4);
  });
});

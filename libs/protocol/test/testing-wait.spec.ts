import { Closer, nextEvent, probeUntil, take, waitFor, withTimeout } from '../src/testing';

describe('test helpers: bounded waits', () => {
  it('waitFor resolves once the condition holds, sync or async', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, 1000, 'three checks');
    expect(n).toBe(3);
    let m = 0;
    await waitFor(async () => ++m >= 2, 1000);
    expect(m).toBe(2);
  });

  it('waitFor fails the test after its timeout, naming what it waited for', async () => {
    await expect(waitFor(() => false, 30, 'the moon')).rejects.toThrow(
      'timed out after 30 ms waiting for the moon',
    );
    let output = 'nothing yet';
    const waiting = waitFor(
      () => false,
      30,
      () => `a line:\n${output}`,
    );
    output = 'late output';
    await expect(waiting).rejects.toThrow('waiting for a line:\nlate output');
  });

  it('withTimeout passes the outcome through, or rejects after the timeout', async () => {
    await expect(withTimeout(Promise.resolve(7), 100)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('no')), 100)).rejects.toThrow('no');
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 20, 'never')).rejects.toThrow(
      'timed out after 20 ms waiting for never',
    );
  });

  it('take reads a bounded number of items and stops the iterator', async () => {
    let finished = false;
    async function* numbers(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        finished = true;
      }
    }
    expect(await take(numbers(), 3)).toEqual([0, 1, 2]);
    await waitFor(() => finished, 1000, 'the generator to finish');
    async function* two(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      await new Promise<never>(() => undefined);
    }
    await expect(take(two(), 3, 30)).rejects.toThrow('3 items (2 arrived)');
  });

  it('nextEvent skips other events and names the ones it saw when it times out', async () => {
    const queue = [{ type: 'connect' }, { type: 'handshake' }];
    const events = {
      receive: () =>
        queue.length > 0
          ? Promise.resolve(queue.shift() as { type: string })
          : new Promise<never>(() => undefined),
    };
    expect(await nextEvent(events, 'handshake', 1000)).toEqual({ type: 'handshake' });
    queue.push({ type: 'disconnect' });
    await expect(nextEvent(events, 'accept', 30)).rejects.toThrow(
      'waiting for a socket event "accept" (saw: disconnect)',
    );
  });

  it('probeUntil probes until something arrived, bounded', async () => {
    const sent: number[] = [];
    const n = await probeUntil(
      (i) => void sent.push(i),
      () => sent.length >= 3,
      { intervalMs: 1 },
    );
    expect(n).toBe(3);
    expect(sent).toEqual([0, 1, 2]);
    await expect(
      probeUntil(
        () => undefined,
        () => false,
        { intervalMs: 1, timeoutMs: 20 },
      ),
    ).rejects.toThrow('no probe arrived within 20 ms');
  });

  it('Closer closes what it tracked, last first', async () => {
    const closed: string[] = [];
    const closer = new Closer();
    const a = closer.track({ close: () => void closed.push('a') });
    closer.track({ close: async () => void closed.push('b') });
    expect(typeof a.close).toBe('function');
    await closer.closeAll();
    await closer.closeAll();
    expect(closed).toEqual(['b', 'a']);
  });
});

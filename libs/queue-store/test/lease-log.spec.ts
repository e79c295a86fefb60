import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_LOG_FILES, LEASE_RECORD_BYTES, LeaseLog, ROTATE_BYTES } from '../src/lease-log';

describe('LeaseLog', () => {
  let dir: string;
  let log: LeaseLog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmq-mq-lease-log-'));
    log = new LeaseLog(dir);
  });
  afterEach(() => {
    log.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  const size = (i: number): number => statSync(join(dir, LEASE_LOG_FILES[i] as string)).size;

  it('reads back what it wrote, from both files, and ignores a torn last record', () => {
    expect(log.read()).toEqual([]);
    log.start();
    log.append(3, [
      { seq: 1, attempt: 1 },
      { seq: 2 ** 40, attempt: 7 },
    ]);
    appendFileSync(join(dir, LEASE_LOG_FILES[0]), Buffer.alloc(LEASE_RECORD_BYTES - 1, 1));
    expect(new LeaseLog(dir).read()).toEqual([
      { qid: 3, seq: 1, attempts: 1 },
      { qid: 3, seq: 2 ** 40, attempts: 7 },
    ]);
  });

  it('moves to the other file past its size and empties the full one once durable', async () => {
    log.start();
    const batch = Array.from({ length: 1024 }, (_, i) => ({ seq: i, attempt: 1 }));
    const perBatch = batch.length * LEASE_RECORD_BYTES;
    for (let n = 0; n < ROTATE_BYTES / perBatch; n++) log.append(1, batch);
    expect(size(0)).toBe(ROTATE_BYTES);
    let durable!: () => void;
    log.rotateIfFull(() => new Promise<void>((resolve) => (durable = resolve)));
    log.append(2, [{ seq: 9, attempt: 2 }]);
    expect([size(0), size(1)]).toEqual([ROTATE_BYTES, LEASE_RECORD_BYTES]);
    // Not yet durable: a crash now still finds the full file's counts.
    expect(new LeaseLog(dir).read()).toHaveLength(ROTATE_BYTES / LEASE_RECORD_BYTES + 1);
    durable();
    await new Promise((resolve) => setImmediate(resolve));
    expect([size(0), size(1)]).toEqual([0, LEASE_RECORD_BYTES]);
    expect(new LeaseLog(dir).read()).toEqual([{ qid: 2, seq: 9, attempts: 2 }]);
  });

  it('stays on its file while the other is not yet emptied', () => {
    log.start();
    const batch = Array.from({ length: ROTATE_BYTES / LEASE_RECORD_BYTES }, (_, i) => ({
      seq: i,
      attempt: 1,
    }));
    log.append(1, batch);
    log.rotateIfFull(() => new Promise<void>(() => undefined)); // never durable
    log.append(1, batch);
    log.rotateIfFull(() => Promise.resolve());
    log.append(1, [{ seq: 1, attempt: 2 }]);
    expect([size(0), size(1)]).toEqual([ROTATE_BYTES, ROTATE_BYTES + LEASE_RECORD_BYTES]);
  });
});

import { describeSpeed, speedCheck } from '../src/speed-check';

describe('machine speed check', () => {
  it('times each loop once per run and reports median and range', () => {
    const check = speedCheck(1);
    expect(check.aluMs).toHaveLength(1);
    expect(check.memoryMs).toHaveLength(1);
    for (const ms of [...check.aluMs, ...check.memoryMs]) expect(ms).toBeGreaterThan(0);
    expect(Number.isInteger(check.checksum)).toBe(true);
    expect(describeSpeed({ aluMs: [400, 420, 410], memoryMs: [900, 100, 300] })).toBe(
      'register loop 410 ms (400-420), memory loop 300 ms (100-900)',
    );
  });
});

import { hotFunctions } from '../src/profile';
import type { CpuProfile } from '../src/profile';

const node = (
  id: number,
  functionName: string,
  url: string,
  lineNumber: number,
  hitCount: number,
) => ({
  id,
  callFrame: { functionName, url, lineNumber },
  hitCount,
});

describe('hotFunctions', () => {
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 1_000_000, // 1 s in µs
    nodes: [
      node(1, '(root)', '', -1, 0),
      node(2, '(idle)', '', -1, 500),
      node(3, 'receiveLoop', 'file:///x/dist/apps/broker/main.js', 41, 300),
      node(4, 'send', 'file:///x/node_modules/zeromq/lib/index.js', 9, 150),
      node(5, 'receiveLoop', 'file:///x/dist/apps/broker/main.js', 41, 50),
      node(6, '(garbage collector)', '', -1, 0),
    ],
  };

  it('adds self time per function, leaves idle out and sorts by it', () => {
    const { busyMs, top } = hotFunctions(profile);
    expect(busyMs).toBeCloseTo(500);
    expect(top.map((f) => f.name)).toEqual(['receiveLoop', 'send']);
    expect(top[0]!.selfMs).toBeCloseTo(350);
    expect(top[0]!.selfShare).toBeCloseTo(0.7);
    expect(top[0]!.where).toBe('dist/apps/broker/main.js:42');
    expect(top[1]!.where).toBe('node_modules/zeromq/lib/index.js:10');
  });

  it('limits the list', () => {
    expect(hotFunctions(profile, 1).top).toHaveLength(1);
  });
});

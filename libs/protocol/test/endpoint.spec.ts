import { needsIpv6 } from '../src/endpoint';

describe('needsIpv6', () => {
  it('is true for a bracketed IPv6 address, as the endpoint or as the destination after a source', () => {
    expect(needsIpv6('tcp://[::1]:5555')).toBe(true);
    expect(needsIpv6('tcp://[fe80::1%eth0]:5555')).toBe(true);
    expect(needsIpv6('tcp://[::1]:0;[::1]:5555')).toBe(true);
    expect(needsIpv6('tcp://eth0;[::1]:5555')).toBe(true);
  });

  it('is false for IPv4, host names and other transports', () => {
    expect(needsIpv6('tcp://127.0.0.1:5555')).toBe(false);
    expect(needsIpv6('tcp://localhost:5555')).toBe(false);
    expect(needsIpv6('tcp://127.0.0.1:0;127.0.0.1:5555')).toBe(false);
    expect(needsIpv6('ipc:///tmp/[x]')).toBe(false);
    expect(needsIpv6('inproc://[a]')).toBe(false);
  });
});

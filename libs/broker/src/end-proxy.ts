import type { Proxy } from 'zeromq';

/** Terminates a proxy that may have ended already (terminate() then throws). */
export function endProxy(proxy: Proxy | undefined): void {
  try {
    proxy?.terminate();
  } catch {
    // already ended
  }
}

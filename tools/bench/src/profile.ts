// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotFunction {
  name: string;
  /** `file:line` (1-based), or the V8 category for native code. */
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples. */
  selfShare: number;
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

/** Top `n` functions by self time; idle time is left out, (program) and GC are listed. */
export function hotFunctions(profile: CpuProfile, n = 15): { busyMs: number; top: HotFunction[] } {
  const totalHits = profile.nodes.reduce((t, node) => t + (node.hitCount ?? 0), 0);
  const msPerHit = totalHits > 0 ? (profile.endTime - profile.startTime) / 1000 / totalHits : 0;
  const byKey = new Map<string, { name: string; where: string; hits: number }>();
  let busyHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || hits === 0) continue;
    busyHits += hits;
    const name = functionName || '(anonymous)';
    const file = url.replace(/^.*\/(node_modules\/|dist\/|node:)/, '$1');
    const where = IDLE.has(name) ? 'v8' : `${file || 'native'}:${lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = byKey.get(key) ?? { name, where, hits: 0 };
    entry.hits += hits;
    byKey.set(key, entry);
  }
  const top = [...byKey.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, n)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: e.hits * msPerHit,
      selfShare: busyHits ? e.hits / busyHits : 0,
    }));
  return { busyMs: busyHits * msPerHit, top };
}

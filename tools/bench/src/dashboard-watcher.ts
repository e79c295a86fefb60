// `--dashboard open`: what an open dashboard page costs the broker. One reader of the monitor's
// event stream (/events), as the page's EventSource is: it reads every event and keeps none.
import { get, type ClientRequest } from 'node:http';

/** Whether our broker runs with its monitor, and whether a page watches it. */
export type DashboardWatch = 'off' | 'idle' | 'open';
export const DASHBOARD_WATCHES: readonly DashboardWatch[] = ['off', 'idle', 'open'];

export interface DashboardWatcher {
  /** Events read so far (a tick a second, besides hello and peers). */
  readonly events: number;
  close(): void;
}

/** Reads `${monitor}/events` until closed. */
export function watchDashboard(monitor: string): DashboardWatcher {
  const state = { events: 0 };
  const req: ClientRequest = get(`${monitor}/events`, { agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      for (let at = chunk.indexOf('event: '); at >= 0; at = chunk.indexOf('event: ', at + 1)) {
        state.events++;
      }
    });
  });
  req.on('error', () => undefined);
  return {
    get events() {
      return state.events;
    },
    close: () => req.destroy(),
  };
}

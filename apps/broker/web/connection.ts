import {
  DASHBOARD_PATHS,
  type DashboardEvents,
  type DashboardHello,
  type DashboardTick,
  type PeerListing,
} from '@zmq-mq/broker/dashboard';

/** What the page is told about its link to the broker. */
export type LinkState =
  | { kind: 'connecting' }
  | { kind: 'live'; since: number }
  | { kind: 'disconnected'; since: number };

export interface LinkHandlers {
  hello(data: DashboardHello): void;
  tick(data: DashboardTick): void;
  peers(data: PeerListing): void;
  state(state: LinkState): void;
}

/** No tick for this long while live: the link is taken as dead and opened again (ms). */
const SILENCE_MS = 5000;
/** Wait before opening a new stream after the browser gave one up (ms). */
const REOPEN_MS = 1000;

/**
 * The page's one link to the broker: an EventSource on `/events`. The browser reconnects by
 * itself after a dropped stream (the broker says after how long); when it gives up (an answer
 * that is not a stream, such as a 503 while the broker stops) or the ticks stop coming, the
 * link opens a new one. Each new stream starts with `hello`, so a restarted broker is caught up
 * at once.
 */
export class LiveLink {
  private source: EventSource | undefined;
  private lastEvent = 0;
  private state: LinkState = { kind: 'connecting' };
  private reopen: number | undefined;

  constructor(private readonly handlers: LinkHandlers) {}

  start(): void {
    this.open();
    window.setInterval(() => {
      if (this.state.kind === 'live' && Date.now() - this.lastEvent > SILENCE_MS) {
        this.lost();
        this.open();
      }
    }, 1000);
  }

  private open(): void {
    this.source?.close();
    const source = new EventSource(DASHBOARD_PATHS.events);
    this.source = source;
    const on = <K extends keyof DashboardEvents>(
      name: K,
      handle: (data: DashboardEvents[K]) => void,
    ): void => {
      source.addEventListener(name, (event) => {
        this.lastEvent = Date.now();
        handle(JSON.parse((event as MessageEvent<string>).data) as DashboardEvents[K]);
      });
    };
    on('hello', (data) => {
      this.set({ kind: 'live', since: Date.now() });
      this.handlers.hello(data);
    });
    on('tick', (data) => this.handlers.tick(data));
    on('peers', (data) => this.handlers.peers(data));
    source.onerror = () => {
      this.lost();
      if (source.readyState === EventSource.CLOSED && this.reopen === undefined) {
        this.reopen = window.setTimeout(() => {
          this.reopen = undefined;
          this.open();
        }, REOPEN_MS);
      }
    };
  }

  private lost(): void {
    if (this.state.kind !== 'disconnected') this.set({ kind: 'disconnected', since: Date.now() });
  }

  private set(state: LinkState): void {
    this.state = state;
    this.handlers.state(state);
  }
}

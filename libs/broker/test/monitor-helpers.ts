// Reading the monitor over HTTP in tests: a request, its JSON, a server-sent event stream.
import { get, request, type ClientRequest } from 'node:http';
import { waitFor } from './helpers';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request to the monitor (bounded: 5 s): its status, headers and body. */
export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

/** A GET answered 200, its body parsed. */
export async function json<T>(url: string): Promise<T> {
  const reply = await http(url);
  expect(reply.status).toBe(200);
  return JSON.parse(reply.body) as T;
}

/** A reader of a server-sent event stream, as EventSource would read it. */
export class EventReader {
  readonly events: Array<{ event: string; data: unknown }> = [];
  status = 0;
  private readonly req: ClientRequest;

  constructor(url: string) {
    this.req = get(url, { agent: false }, (res) => {
      this.status = res.statusCode ?? 0;
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) {
            this.events.push({ event, data: JSON.parse(data) });
          }
        }
      });
    });
    this.req.on('error', () => undefined);
  }

  /** The first event named `name` that `test` accepts; waits for it (bounded). */
  async next<T>(name: string, test: (data: T) => boolean = () => true): Promise<T> {
    let found: T | undefined;
    await waitFor(
      () => {
        const hit = this.events.find((e) => e.event === name && test(e.data as T));
        found = hit?.data as T | undefined;
        return hit !== undefined;
      },
      8000,
      `event ${name}`,
    );
    return found as T;
  }

  close(): void {
    this.req.destroy();
  }
}

import { createServer, type Server } from 'node:http';
import { waitFor } from '@zmq-mq/protocol/testing';
import { watchDashboard } from '../src/dashboard-watcher';
import { parseOptions } from '../src/options';

describe('--dashboard', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it('is off unless asked; idle and open are the other choices', () => {
    expect(parseOptions(['--quick']).dashboard).toBe('off');
    expect(parseOptions(['--quick', '--dashboard', 'open']).dashboard).toBe('open');
    expect(() => parseOptions(['--dashboard', 'on'])).toThrow(/off, idle or open, got on/);
  });

  it('reads every event of the stream, as a page does, until closed', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: hello\ndata: {}\n\nevent: tick\ndata: {}\n\n');
      res.write('event: tick\ndata: {}\n\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const watcher = watchDashboard(`http://127.0.0.1:${port}`);
    await waitFor(() => watcher.events === 3, 5000, 'three events');
    watcher.close();
  });
});

// The broker's live dashboard: one page, one event stream, no request beyond the monitor.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { DROP_REASONS, type FlowSample } from '@zmq-mq/broker/dashboard';
import { RateChart, type Point } from './charts';
import { LiveLink, type LinkState } from './connection';
import { byId, setText } from './dom';
import { formatDuration, formatTime } from './format';
import {
  agePeers,
  flowCards,
  renderBroker,
  renderBrokerLive,
  renderFlow,
  renderPeers,
  renderWorkQueue,
} from './panels';
import { QueuesPanel } from './queues';

const DROP_COLORS = ['#dc2626', '#9333ea', '#ea580c', '#64748b', '#0891b2', '#be185d'];

const flowChart = new RateChart(byId('chart-flow'), [
  // In and out are often equal: the wide pale line shows under the narrow ones.
  { label: 'in', color: '#93b4f5', width: 5 },
  { label: 'to subscribers', color: '#16a34a', width: 2 },
  { label: 'to workers', color: '#b45309', width: 1.5, dash: [5, 4] },
]);
const dropChart = new RateChart(
  byId('chart-drops'),
  DROP_REASONS.map((reason, i) => ({ label: reason, color: DROP_COLORS[i] ?? '#000' })),
);

const flowPoint = (s: FlowSample): Point => ({
  t: s.t / 1000,
  values: [s.received, s.published, s.pushed],
});
const dropPoint = (s: FlowSample): Point => ({
  t: s.t / 1000,
  values: DROP_REASONS.map((r) => s.dropped[r]),
});

const queues = new QueuesPanel();
let instance: string | undefined;
let disconnectedAt: number | undefined;

function disconnectedText(since: number): string {
  return `disconnected since ${formatTime(since)} (${formatDuration(Date.now() - since)}), reconnecting…`;
}

function showState(state: LinkState): void {
  const status = byId('status');
  status.dataset['state'] = state.kind;
  document.body.dataset['link'] = state.kind;
  if (state.kind === 'live') {
    setText(status, 'live');
    disconnectedAt = undefined;
  } else if (state.kind === 'disconnected') {
    disconnectedAt = state.since;
    setText(status, disconnectedText(state.since));
  } else {
    setText(status, 'connecting…');
  }
}

flowCards();
new LiveLink({
  hello(data) {
    const restarted = instance !== undefined && instance !== data.broker.instance;
    instance = data.broker.instance;
    const notice = byId('notice');
    if (restarted) {
      notice.hidden = false;
      setText(
        notice,
        `The broker restarted at ${formatTime(data.broker.startedAt)}: its counters start again from zero.`,
      );
    }
    const samples = data.history.samples;
    flowChart.reset(samples.map(flowPoint));
    dropChart.reset(samples.map(dropPoint));
    renderBroker(data.broker);
    renderFlow(samples[samples.length - 1], data.stats);
    renderWorkQueue(data.stats);
    renderPeers(data.peers);
    void queues.refresh(true);
  },
  tick(data) {
    flowChart.push(flowPoint(data.sample));
    dropChart.push(dropPoint(data.sample));
    renderFlow(data.sample, data.stats);
    renderWorkQueue(data.stats);
    renderBrokerLive(data);
    agePeers(Date.now());
    void queues.refresh();
  },
  peers: renderPeers,
  state: showState,
}).start();

// While disconnected, say for how long.
window.setInterval(() => {
  if (disconnectedAt !== undefined) setText(byId('status'), disconnectedText(disconnectedAt));
}, 1000);

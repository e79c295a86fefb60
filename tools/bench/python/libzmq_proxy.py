"""libzmq's own proxy (zmq_proxy, in C, through pyzmq) as a broker, for the benchmark baseline.

Fan-out: SUB bound on --ingress -> PUB bound on --publish, with zmq.proxy's capture socket
(a PUB on inproc, never blocking) as a tap. Work path: a second zmq.proxy in its own thread
from a SUB on that tap to a PUSH bound on --push. Frames pass unchanged on both paths (the
topic is not stripped: the equivalent of our broker's `--push-format full`). A missing worker
never stalls the fan-out: the tap drops at its high-water mark, as PUB does.
No Python code touches a message. Prints `ready <ingress> <publish> <push>` once bound and
runs until SIGTERM/SIGINT or until its parent process dies.

usage: libzmq_proxy.py --ingress EP --publish EP --push EP
"""
import argparse
import os
import signal
import sys
import threading
import time

import zmq

TAP = 'inproc://bench-tap'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--ingress', required=True)
    parser.add_argument('--publish', required=True)
    parser.add_argument('--push', required=True)
    args = parser.parse_args()

    context = zmq.Context()
    # The same queues as our broker's native mode on its defaults, so that neither is measured
    # with more room to absorb a burst: ingress 1,000 per producer (--ingress-hwm), publish
    # 10,000 per subscriber (--publish-hwm), the work path's tap 100,000 (--queue-max-messages)
    # behind a publish-side pipe of 10,000, push 1,000 (libzmq's default).
    sub = context.socket(zmq.SUB)
    sub.rcvhwm = 1000
    sub.setsockopt(zmq.SUBSCRIBE, b'')
    sub.bind(args.ingress)
    pub = context.socket(zmq.PUB)
    pub.sndhwm = 10000
    pub.bind(args.publish)
    tap = context.socket(zmq.PUB)
    tap.sndhwm = 10000
    tap.bind(TAP)
    tap_sub = context.socket(zmq.SUB)
    tap_sub.rcvhwm = 100000
    tap_sub.setsockopt(zmq.SUBSCRIBE, b'')
    tap_sub.connect(TAP)
    push = context.socket(zmq.PUSH)
    push.bind(args.push)
    for s in (sub, pub, tap, tap_sub, push):
        s.linger = 0

    def run(front, back, capture=None):
        try:
            zmq.proxy(front, back, capture)
        except zmq.ContextTerminated:
            pass

    threading.Thread(target=run, args=(tap_sub, push), daemon=True).start()
    threading.Thread(target=run, args=(sub, pub, tap), daemon=True).start()

    endpoints = [s.getsockopt(zmq.LAST_ENDPOINT).decode() for s in (sub, pub, push)]
    print('ready', *endpoints, flush=True)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    parent = os.getppid()
    while not stopping.is_set() and os.getppid() == parent:
        time.sleep(0.1)
    # The proxies own their sockets: exit without closing them from this thread.
    os._exit(0)


if __name__ == '__main__':
    sys.exit(main())

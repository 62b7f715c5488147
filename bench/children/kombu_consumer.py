"""The classic hand-written kombu ConsumerMixin subscriber, counting only.

Reference row of the bench: kombu decodes the JSON body (accept=['json']) and each message
is acked on its own, as the OpenStack notification-listener snippets do. One JSON argument
(url, queue, count, prefetch); reports `@@bench {json}` lines like the Node children.
"""
import json
import os
import resource
import signal
import sys
import time

from kombu import Connection, Exchange, Queue
from kombu.mixins import ConsumerMixin


def report(event, **fields):
    fields["event"] = event
    sys.stdout.write("@@bench " + json.dumps(fields) + "\n")
    sys.stdout.flush()


def cpu_seconds():
    t = os.times()
    return t.user + t.system


class Counter(ConsumerMixin):
    def __init__(self, connection, queue, count, prefetch):
        self.connection = connection
        self.queue = queue
        self.count = count
        self.prefetch = prefetch
        self.n = 0
        self.t0 = 0.0
        self.cpu0 = 0.0

    def get_consumers(self, Consumer, channel):
        return [Consumer(queues=[self.queue], callbacks=[self.on_message], accept=["json"], prefetch_count=self.prefetch)]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        report("ready")

    def on_message(self, body, message):
        if self.n == 0:
            self.t0 = time.monotonic()
            self.cpu0 = cpu_seconds()
            report("first")
        self.n += 1
        message.ack()
        if self.n == self.count:
            report(
                "done",
                messages=self.n,
                windowMessages=self.n - 1,
                seconds=time.monotonic() - self.t0,
                cpuSeconds=cpu_seconds() - self.cpu0,
                peakRssBytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            )
            self.should_stop = True


def main():
    args = json.loads(sys.argv[1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Passive: the queue exists already, declared the way the exporter declares its own.
    queue = Queue(args["queue"], exchange=Exchange("nova", type="topic", durable=False), no_declare=True)
    with Connection(args["url"]) as conn:
        Counter(conn, queue, args["count"], args["prefetch"]).run()
    # Stay until the orchestrator has read /proc and sends SIGTERM.
    signal.pause()


if __name__ == "__main__":
    main()

"""Publish notifications with oslo.messaging's Notifier, exactly as Nova does.

Reads a JSON spec on stdin:
  {"url": "rabbit://guest:guest@127.0.0.1:5672/vhost", "exchange": "nova",
   "driver": "messagingv2" | "messaging", "publisher_id": "compute.host1",
   "topics": ["notifications"], "context": {...},
   "notifications": [{"priority": "info", "event_type": "...", "payload": {...}}],
   "retry": 0}  (optional: how often oslo retries a failed send; its default retries forever)
Options of [oslo_messaging_rabbit] go in the URL's query, as oslo reads them there too:
  rabbit://...?amqp_durable_queues=true or ?rabbit_quorum_queue=true.
Run with Debian's /usr/bin/python3 (python3-oslo.messaging).
"""
import json
import sys

from oslo_config import cfg
import oslo_messaging


def main():
    spec = json.load(sys.stdin)
    # Nova does this at start-up: its notifications go to the `nova` exchange.
    oslo_messaging.set_transport_defaults(control_exchange=spec["exchange"])
    conf = cfg.ConfigOpts()
    conf([], project="osne-test")
    transport = oslo_messaging.get_notification_transport(conf, url=spec["url"])
    notifier = oslo_messaging.Notifier(
        transport,
        publisher_id=spec["publisher_id"],
        driver=spec["driver"],
        topics=spec["topics"],
        retry=spec.get("retry"),
    )
    for n in spec["notifications"]:
        getattr(notifier, n["priority"])(spec["context"], n["event_type"], n["payload"])
    transport.cleanup()


if __name__ == "__main__":
    main()

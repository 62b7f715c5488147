/** What the exporter tells about its broker link: the consumer's public face. */
export interface QueueStats {
  readonly messages: number;
  readonly consumers: number;
}

/** What the broker-facing gauges read; the consumer is one. */
export interface BrokerState {
  /** true while connected and consuming. */
  readonly consuming: boolean;
  /** Connections re-established after a loss, since start. */
  readonly reconnects: number;
  /** Exchanges not bound yet because their service has not declared them (none while not consuming). */
  readonly awaitingExchanges: readonly string[];
  /** Asked of the broker; undefined while it cannot be asked. */
  queueStats(): Promise<QueueStats | undefined>;
}

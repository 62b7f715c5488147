/**
 * The broker the broker tests run on. The host's RabbitMQ 3 on 127.0.0.1:5672 by default;
 * with TEST_RABBITMQ=4 the RabbitMQ 4.0 node that `scripts/rabbitmq4 up` starts
 * (test/support/rabbitmq4.ts), with the deprecated features 4.3 denies denied. With
 * TEST_VHOST_QUEUE_TYPE=quorum every vhost the tests make has quorum as its default queue
 * type, as kolla-ansible's brokers have (RabbitMQ 3.11 and later).
 */
import { sharedRabbitmq4 } from './rabbitmq4.js';

/** The RabbitMQ 4 node when TEST_RABBITMQ=4; undefined on the host's broker. */
export const RABBITMQ4 = process.env['TEST_RABBITMQ'] === '4' ? sharedRabbitmq4() : undefined;
const VHOST_QUEUE_TYPE = process.env['TEST_VHOST_QUEUE_TYPE'];
if (VHOST_QUEUE_TYPE !== undefined && !['classic', 'quorum'].includes(VHOST_QUEUE_TYPE)) {
  throw new Error(`TEST_VHOST_QUEUE_TYPE must be classic or quorum, not ${VHOST_QUEUE_TYPE}`);
}

/** host:port of the test broker's AMQP listener. */
export const TEST_AMQP_HOST = RABBITMQ4 ? `127.0.0.1:${RABBITMQ4.spec.amqpPort}` : '127.0.0.1:5672';
/** Its management API, guest's credentials in the URL as check's --management.url takes them. */
export const TEST_MANAGEMENT_URL = RABBITMQ4?.managementUrl ?? 'http://guest:guest@127.0.0.1:15672';
/** The default queue type of the vhosts the tests make (TEST_VHOST_QUEUE_TYPE); undefined: the broker's own. */
export const TEST_VHOST_QUEUE_TYPE = VHOST_QUEUE_TYPE as 'classic' | 'quorum' | undefined;

/**
 * How oslo publishers must be configured on the test broker: RabbitMQ 4 denies oslo's
 * transient queues, so there they run with amqp_durable_queues = true (in transport_url's
 * query, where oslo reads it too), and an exporter that declares their exchange must be told so.
 */
export const TEST_OSLO_DURABLE = RABBITMQ4 !== undefined;
export const TEST_OSLO_QUERY = TEST_OSLO_DURABLE ? '?amqp_durable_queues=true' : '';
export const TEST_OSLO_EXCHANGE = TEST_OSLO_DURABLE ? 'durable' : 'transient';

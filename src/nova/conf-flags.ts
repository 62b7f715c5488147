import type { RawFlags } from '../config/config.js';
import { topicsFor, type NotificationFormat } from './format.js';
import type { NovaNotificationSettings } from './conf.js';

/**
 * What nova.conf answers, as raw flag values: they sit between the environment and the
 * defaults and go through the same validation as a flag, so a bad transport_url is
 * reported like a bad --amqp.url.
 */
export function flagsFromNovaConf(settings: NovaNotificationSettings): RawFlags {
  const flags: RawFlags = {};
  if (settings.transportUrl !== undefined) flags['amqp.url'] = settings.transportUrl;
  // oslo.messaging's own default is "openstack", but Nova sets its control exchange to "nova".
  flags['amqp.exchange'] = [settings.controlExchange ?? 'nova'];
  if (settings.notificationFormat !== undefined) flags['nova.notification-format'] = settings.notificationFormat;
  // Nova's exchange only: config.ts applies a nova.conf answer to no other service's exchange.
  flags['amqp.declare-exchange'] = settings.exchange.durable ? 'durable' : 'transient';
  return flags;
}

/**
 * Nova sends legacy notifications on the oslo topics and versioned ones on its own list,
 * so which lists count depends on the format in effect (a flag may override nova.conf's).
 */
export function novaTopics(settings: NovaNotificationSettings, format: NotificationFormat): string[] {
  return topicsFor(format, { legacy: settings.topics, versioned: settings.versionedTopics });
}

/** Why Nova, configured like this, publishes nothing; undefined when it does publish. */
export function silentNovaReason(settings: NovaNotificationSettings): string | undefined {
  if (settings.sendsNotifications) return undefined;
  if (settings.driver === undefined || settings.driver.length === 0) {
    return 'Nova sends no notifications: [oslo_messaging_notifications] driver is not set (oslo sends nothing without one)';
  }
  return 'Nova sends no notifications: [oslo_messaging_notifications] driver is noop';
}

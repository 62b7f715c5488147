/**
 * The instance actions Nova notifies with a start and an end, named as the mapper names
 * them (instanceEventName: `resize_prep`, `live_migration_pre`, ...). The in-flight gauges
 * show each at 0 while none is running, so a quiet hour reads 0 rather than "no data".
 *
 * Source: the `instance-<action>-start.json` samples of openstack/nova
 * doc/notification_samples (the versioned notifications; the legacy ones fold into the
 * same names).
 */
export const NOVA_ACTIONS: readonly string[] = [
  'create',
  'delete',
  'soft_delete',
  'rebuild',
  'reboot',
  'resize',
  'resize_prep',
  'resize_finish',
  'resize_confirm',
  'resize_revert',
  'live_migration_pre',
  'live_migration_post',
  'live_migration_post_dest',
  'live_migration_rollback',
  'live_migration_rollback_dest',
  'live_migration_abort',
  'live_migration_force_complete',
  'power_on',
  'power_off',
  'shutdown',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'shelve',
  'shelve_offload',
  'unshelve',
  'snapshot',
  'rescue',
  'unrescue',
  'restore',
  'interface_attach',
  'interface_detach',
  'volume_attach',
  'volume_detach',
  'volume_swap',
  'trigger_crash_dump',
  'share_attach',
  'share_detach',
];

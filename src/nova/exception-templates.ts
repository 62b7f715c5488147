/**
 * Nova's own exception message templates (`msg_fmt` in nova/exception.py), so that an error
 * notification that carries only the message (the unversioned format's `message` / `reason`,
 * Nova's default) still yields the exception class. Each `%(name)s` placeholder matches any
 * text; a message that fits no template stays `unknown`.
 *
 * Source: openstack/nova nova/exception.py at 00a030403f672b975364c855b7d25b40ef83e757
 * (the line of each class is given), plus one message raised with a class whose own
 * template it does not use (nova/virt/ironic/driver.py, same commit). The classes are
 * those that fail builds, moves and power actions most often.
 */

/** [class, msg_fmt, line in nova/exception.py] */
const EXCEPTION_PY: readonly (readonly [string, string, number])[] = [
  ['NoValidHost', 'No valid host was found. %(reason)s', 1360],
  ['MaxRetriesExceeded', 'Exceeded maximum number of retries. %(reason)s', 1373],
  ['BuildAbortException', 'Build of instance %(instance_uuid)s aborted: %(reason)s', 1613],
  ['RescheduledException', 'Build of instance %(instance_uuid)s was re-scheduled: %(reason)s', 1617],
  ['InstanceNotFound', 'Instance %(instance_id)s could not be found.', 1455],
  ['PortBindingFailed', 'Binding failed for port %(port_id)s, please check neutron logs for more information.', 969],
  ['FlavorDiskTooSmall', "The created instance's disk would be too small.", 1334],
  ['FlavorMemoryTooSmall', "Flavor's memory is too small for requested image.", 1330],
  ['ImageNotFound', 'Image %(image_id)s could not be found.', 874],
  ['ImageNotActive', 'Image %(image_id)s is not active.', 212],
  ['ImageUnacceptable', 'Image %(image_id)s is unacceptable: %(reason)s', 678],
  ['VolumeNotFound', 'Volume %(volume_id)s could not be found.', 722],
  ['InstanceInvalidState', 'Instance %(instance_uuid)s in %(attr)s %(state)s. Cannot %(method)s while the instance is in this state.', 509],
  ['ComputeHostNotFound', 'Compute host %(host)s could not be found.', 1084],
  ['ComputeServiceUnavailable', 'Compute service of %(host)s is unavailable at this time.', 586],
  ['ComputeResourcesUnavailable', 'Insufficient compute resources: %(reason)s.', 578],
  ['MigrationPreCheckError', 'Migration pre-check error: %(reason)s', 1296],
  ['MigrationError', 'Migration error: %(reason)s', 1292],
  ['InvalidSharedStorage', '%(path)s is not on shared storage: %(reason)s', 1280],
  ['VirtualInterfaceCreateException', 'Virtual Interface creation failed', 116],
  ['OverQuota', 'Quota exceeded for resources: %(overs)s', 1377],
  ['TooManyInstances', 'Quota exceeded for %(overs)s: Requested %(req)s, but already used %(used)s of %(allowed)s %(overs)s', 1383],
  ['PortNotFound', 'Port id %(port_id)s could not be found.', 899],
  ['PortInUse', 'Port %(port_id)s is still in use.', 951],
  ['NetworkNotFound', 'Network %(network_id)s could not be found.', 895],
  ['NoMoreFixedIps', 'No fixed IP addresses available for network: %(net)s', 1017],
  ['InstancePowerOffFailure', 'Failed to power off instance: %(reason)s', 542],
  ['InstancePowerOnFailure', 'Failed to power on instance: %(reason)s', 538],
  ['InstanceRebootFailure', 'Failed to reboot instance: %(reason)s', 546],
  ['InstanceTerminationFailure', 'Failed to terminate instance: %(reason)s', 550],
  ['InstanceSuspendFailure', 'Failed to suspend instance: %(reason)s', 530],
  ['InstanceResumeFailure', 'Failed to resume instance: %(reason)s', 534],
  ['InstanceDeployFailure', 'Failed to deploy instance: %(reason)s', 554],
  ['ResizeError', 'Resize error: %(reason)s', 1322],
  ['CannotResizeDisk', 'Server disk was unable to be resized because: %(reason)s', 1326],
  ['DestinationDiskExists', 'The supplied disk path (%(path)s) already exists, it is expected not to exist.', 644],
  ['InvalidBDM', 'Block Device Mapping is Invalid.', 246],
  ['DeviceDetachFailed', 'Device detach failed for %(device)s: %(reason)s', 836],
  ['VolumeAttachFailed', 'Volume %(volume_id)s could not be attached. Reason: %(reason)s', 322],
  ['AllocationUpdateFailed', 'Failed to update allocations for consumer %(consumer_uuid)s. Error: %(error)s', 2372],
  ['FlavorNotFound', 'Flavor %(flavor_id)s could not be found.', 1207],
  ['InstanceNotRunning', 'Instance %(instance_id)s is not running.', 514],
  ['InstanceNotReady', 'Instance %(instance_id)s is not ready', 526],
  ['InvalidCPUInfo', 'Unacceptable CPU info: %(reason)s', 658],
  ['HypervisorUnavailable', 'Connection to the hypervisor is broken on host', 582],
];

/** Messages raised with a class but not from its msg_fmt: [class, message, source]. */
const RAISED_MESSAGES: readonly (readonly [string, string, string])[] = [
  // Ironic's deploy failure, as Nova's ironic driver words it (_wait_for_active).
  ['InstanceDeployFailure', 'Failed to provision instance %(inst)s: %(reason)s', 'nova/virt/ironic/driver.py:543'],
];

/**
 * A message longer than this is judged by its first characters only: Nova's messages that
 * name a class are a line or two, and a traceback or a crafted megabyte must cost no more
 * than a short message does.
 */
export const MAX_CLASSIFIED_CHARS = 512;

export interface TemplateMatcher {
  /** Whether the (whitespace-normalized) text fits the template. */
  test(text: string): boolean;
}

/**
 * `Image %(image_id)s is not active.`: the text starts with `Image`, ends with `is not
 * active.`, and a placeholder stands for any text, even none. Not a regular expression:
 * lazy wildcards next to optional spaces backtrack without bound on a long run of spaces
 * (one crafted notification held the event loop for a minute). Here each literal part is
 * found in order with indexOf, leftmost first, which is all a `.*` gap needs: linear in the
 * text for each part.
 */
export function templateMatcher(template: string): TemplateMatcher {
  const parts = literalParts(template);
  return { test: (text) => fits(parts, normalizeSpaces(text), false) };
}

function literalParts(template: string): string[] {
  return template.split(/%\(\w+\)[sdr]/).map(normalizeSpaces);
}

/** Runs of whitespace read as one space, none at the ends: Nova's spacing around a placeholder varies with its value. */
function normalizeSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * parts: the literal text between placeholders. `cut`: the text is the head of a longer
 * message, so the last part need not end it (it must still appear).
 */
function fits(parts: readonly string[], text: string, cut: boolean): boolean {
  const last = parts.length - 1;
  const first = parts[0] as string;
  if (last === 0) return !cut && text === first;
  if (!text.startsWith(first)) return false;
  let at = first.length;
  for (let i = 1; i < last; i++) {
    const part = parts[i] as string;
    const found = text.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  const tail = parts[last] as string;
  return cut ? text.indexOf(tail, at) >= 0 : text.length - tail.length >= at && text.endsWith(tail);
}

interface Matcher {
  readonly exception: string;
  readonly parts: readonly string[];
  /** Literal characters: the more, the more specific, the earlier it is tried. */
  readonly weight: number;
}

const MATCHERS: readonly Matcher[] = [
  ...EXCEPTION_PY.map(([exception, template]) => ({ exception, template })),
  ...RAISED_MESSAGES.map(([exception, template]) => ({ exception, template })),
]
  .map(({ exception, template }) => ({
    exception,
    parts: literalParts(template),
    weight: template.replace(/%\(\w+\)[sdr]|\s/g, '').length,
  }))
  .sort((a, b) => b.weight - a.weight);

/** The exception class whose template the message fits, or `unknown`. Linear in MAX_CLASSIFIED_CHARS at most. */
export function classifyNovaError(message: string): string {
  const head = message.trimStart();
  const cut = head.length > MAX_CLASSIFIED_CHARS;
  const text = normalizeSpaces(cut ? head.slice(0, MAX_CLASSIFIED_CHARS) : head);
  if (text === '') return 'unknown';
  for (const m of MATCHERS) if (fits(m.parts, text, cut)) return m.exception;
  return 'unknown';
}

/** The classes the table knows, for tests and docs. */
export const KNOWN_NOVA_EXCEPTIONS: readonly string[] = [...new Set(MATCHERS.map((m) => m.exception))].sort();

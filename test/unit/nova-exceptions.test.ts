import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyNovaError, KNOWN_NOVA_EXCEPTIONS, templateMatcher } from '../../src/nova/exception-templates.js';

/** Messages as Nova renders them (msg_fmt % kwargs), and the class each must give. */
const CASES: [string, string][] = [
  ['No valid host was found. There are not enough hosts available.', 'NoValidHost'],
  ['No valid host was found. ', 'NoValidHost'],
  [
    'Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance 7c6b.',
    'MaxRetriesExceeded',
  ],
  ['Build of instance 7c6b5a49-3827 aborted: Failed to allocate the network(s), not rescheduling.', 'BuildAbortException'],
  ['Build of instance 7c6b5a49-3827 was re-scheduled: internal error: qemu unexpectedly closed the monitor', 'RescheduledException'],
  ['Instance 3f2b9c1e-1111-4222-8333-944455556666 could not be found.', 'InstanceNotFound'],
  ['Binding failed for port 8c1f0c2e-aaaa, please check neutron logs for more information.', 'PortBindingFailed'],
  ["The created instance's disk would be too small.", 'FlavorDiskTooSmall'],
  ["Flavor's memory is too small for requested image.", 'FlavorMemoryTooSmall'],
  ['Image 155d900f-4e14-4e4c-a73d-069cbf4541e6 could not be found.', 'ImageNotFound'],
  ['Image 155d900f-4e14-4e4c-a73d-069cbf4541e6 is not active.', 'ImageNotActive'],
  ['Volume 1c2d could not be found.', 'VolumeNotFound'],
  ['Instance 3f2b in task_state powering-off. Cannot reboot while the instance is in this state.', 'InstanceInvalidState'],
  ['Compute host cmp-07.example.org could not be found.', 'ComputeHostNotFound'],
  ['Migration pre-check error: Unable to migrate 3f2b to cmp-2: Lack of memory', 'MigrationPreCheckError'],
  [
    '/var/lib/nova/instances is not on shared storage: Shared storage live-migration requires either shared storage or boot-from-volume with no local disks.',
    'InvalidSharedStorage',
  ],
  ['Virtual Interface creation failed', 'VirtualInterfaceCreateException'],
  ['Insufficient compute resources: Free memory 1024.00 MB < requested 2048 MB.', 'ComputeResourcesUnavailable'],
  ['Quota exceeded for cores: Requested 8, but already used 20 of 24 cores', 'TooManyInstances'],
  ['Quota exceeded for resources: instances', 'OverQuota'],
  ['Port id 8c1f could not be found.', 'PortNotFound'],
  ['Failed to power off instance: timed out', 'InstancePowerOffFailure'],
  ['Failed to provision instance 3a0c66d5: Failed to deploy. Error: Failed to execute command via SSH', 'InstanceDeployFailure'],
  ['Resize error: Unable to resize disk down.', 'ResizeError'],
  ['Connection to the hypervisor is broken on host', 'HypervisorUnavailable'],
  // Not Nova's words: no class.
  ['Unexpected error while running command.', 'unknown'],
  ['', 'unknown'],
  ['Instance could not be found', 'unknown'],
  ['Please check No valid host was found. later', 'unknown'],
];

describe("Nova's exception templates", () => {
  for (const [message, exception] of CASES) {
    test(`${JSON.stringify(message.slice(0, 60))} → ${exception}`, () => {
      assert.equal(classifyNovaError(message), exception);
    });
  }

  test('covers at least the twenty classes that fail builds and moves most often', () => {
    assert.ok(KNOWN_NOVA_EXCEPTIONS.length >= 40, `${KNOWN_NOVA_EXCEPTIONS.length}`);
    for (const name of [
      'NoValidHost',
      'MaxRetriesExceeded',
      'BuildAbortException',
      'RescheduledException',
      'PortBindingFailed',
      'FlavorDiskTooSmall',
    ]) {
      assert.ok(KNOWN_NOVA_EXCEPTIONS.includes(name), name);
    }
  });

  test('a placeholder matches any text, the literal text around it must be there', () => {
    const r = templateMatcher('Image %(image_id)s is unacceptable: %(reason)s');
    assert.ok(r.test('Image abc is unacceptable: bad format'));
    assert.ok(r.test('Image  is unacceptable: '.trim()));
    assert.ok(!r.test('Image abc is acceptable: fine'));
  });
});

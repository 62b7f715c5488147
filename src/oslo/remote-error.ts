/**
 * An exception that crossed an RPC call, as text. oslo.messaging re-raises a remote
 * exception under its class name plus `_Remote` (oslo_messaging/_drivers/common.py,
 * deserialize_remote_exception), and Nova 26's conductor puts the failure's dict repr in the
 * unversioned `compute_task.build_instances` error's `reason`:
 * `{'kwargs': {'reason': '', 'code': 500}, 'message': 'No valid host was found. ', 'class': 'NoValidHost_Remote'}`
 * (captured from a real cloud: test/fixtures/zed-cloud). The class is a name, not text, so
 * it can be a label.
 */

// Bounded, no nesting: linear in the text's length.
const CLASS_ENTRY = /'class': '([A-Za-z_][\w.]{0,127})'/;

const REMOTE_SUFFIX = '_Remote';

/**
 * The class as raised where it happened: `NoValidHost_Remote` → `NoValidHost`. Versioned
 * Nova names the re-raised class in `fault.exception` as is (seen on Nova 26), so without
 * this one failure would count under two classes depending on the format.
 */
export function localExceptionClass(name: string): string {
  return name.endsWith(REMOTE_SUFFIX) && name.length > REMOTE_SUFFIX.length ? name.slice(0, -REMOTE_SUFFIX.length) : name;
}

/** The exception class named in an oslo remote-error repr, `_Remote` dropped; undefined when none. */
export function remoteExceptionClass(text: string): string | undefined {
  const name = CLASS_ENTRY.exec(text)?.[1];
  return name ? localExceptionClass(name) : undefined;
}

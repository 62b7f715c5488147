/**
 * Heat's exception message templates (`msg_fmt` of each class in heat/common/exception.py),
 * so a failed stack's `state_reason` yields the exception class.
 *
 * Heat words a resource failure as `Resource CREATE failed: <Class>: <path>: <message>`
 * (ResourceFailure, a HeatExceptionWithPath whose `error` is the class name of what was
 * raised); the class is taken from there when it is present, else from the template the
 * message fits (`Resource CREATE failed: The Referenced Attribute (a foo) is incorrect.`).
 *
 * Source: openstack/heat heat/common/exception.py at 526defd06ece8156ede431615fd3c5eb8412714d
 * (2026-08-21), extracted with scripts/extract-exception-templates.py; the line of each
 * class is given.
 */
import { classifyMessage, compileTemplates, reprClassName } from '../oslo/message-templates.js';

/** [class, msg_fmt, line in heat/common/exception.py] */
const EXCEPTION_PY: readonly (readonly [string, string, number])[] = [
  ['MissingCredentialError', 'Missing required credential: %(required)s', 86],
  ['AuthorizationFailure', 'Authorization failed.%(failure_reason)s', 90],
  ['NotAuthenticated', 'You are not authenticated.', 101],
  ['Forbidden', 'You are not authorized to use %(action)s.', 105],
  ['NotAuthorized', 'You are not authorized to complete this action.', 113],
  ['Invalid', 'Data supplied was not valid: %(reason)s', 117],
  ['UserParameterMissing', 'The Parameter (%(key)s) was not provided.', 121],
  ['UnknownUserParameter', 'The Parameter (%(key)s) was not defined in template.', 125],
  ['InvalidTemplateVersion', 'The template version is invalid: %(explanation)s', 129],
  ['InvalidTemplateSection', 'The template section is invalid: %(section)s', 133],
  ['ImmutableParameterModified', 'The following parameters are immutable and may not be updated: %(keys)s', 137],
  ['InvalidMergeStrategyForParam', "Invalid merge strategy '%(strategy)s' for parameter '%(param)s'.", 147],
  ['ConflictingMergeStrategyForParam', "Conflicting merge strategy '%(strategy)s' for parameter '%(param)s' in file '%(env_file)s'.", 152],
  ['InvalidTemplateAttribute', 'The Referenced Attribute (%(resource)s %(key)s) is incorrect.', 157],
  ['InvalidTemplateReference', 'The specified reference "%(resource)s" (in %(key)s) is incorrect.', 162],
  ['TemplateOutputError', 'Error in %(resource)s output %(attribute)s: %(message)s', 167],
  ['InvalidEncryptionKey', 'Can not decrypt data with the auth_encryption_key in heat config.', 171],
  ['InvalidExternalResourceDependency', 'Invalid dependency with external %(resource_type)s resource: %(external_id)s', 176],
  ['EntityNotFound', 'The %(entity)s (%(name)s) could not be found.', 181],
  ['PhysicalResourceExists', 'The physical resource for (%(name)s) exists.', 191],
  ['PhysicalResourceNameAmbiguity', 'Multiple physical resources were found with name (%(name)s).', 195],
  ['PhysicalResourceIDAmbiguity', 'Multiple resources were found with the physical ID (%(phys_id)s).', 200],
  ['InvalidTenant', 'Searching Tenant %(target)s from Tenant %(actual)s forbidden.', 205],
  ['StackExists', 'The Stack (%(stack_name)s) already exists.', 210],
  ['HeatExceptionWithPath', '%(error)s%(path)s%(message)s', 214],
  ['InvalidSchemaError', '%(message)s', 273],
  ['ResourceNotFound', 'The Resource (%(resource_name)s) could not be found in Stack %(stack_name)s.', 277],
  ['SnapshotNotFound', 'The Snapshot (%(snapshot)s) for Stack (%(stack)s) could not be found.', 282],
  ['InvalidGlobalResource', 'There was an error loading the definition of the global resource type %(type_name)s.', 287],
  ['InvalidBreakPointHook', '%(message)s', 296],
  ['InvalidRestrictedAction', '%(message)s', 300],
  ['ResourceNotAvailable', 'The Resource (%(resource_name)s) is not available.', 304],
  ['ClientNotAvailable', 'The client (%(client_name)s) is not available.', 308],
  ['NotSupported', '%(feature)s is not supported.', 371],
  ['ResourceActionNotSupported', '%(action)s is not supported for resource.', 375],
  ['ResourceActionRestricted', '%(action)s is restricted for resource.', 379],
  ['ResourcePropertyConflict', 'Cannot define the following properties at the same time: %(props)s.', 383],
  ['ResourcePropertyDependency', '%(prop1)s cannot be specified without %(prop2)s.', 393],
  ['ResourcePropertyValueDependency', '%(prop1)s property should only be specified for %(prop2)s with value %(value)s.', 397],
  ['PropertyUnspecifiedError', 'At least one of the following properties must be specified: %(props)s.', 402],
  ['ResourceUnknownStatus', '%(result)s - Unknown status %(resource_status)s due to "%(status_reason)s"', 422],
  ['ResourceInError', 'Went to status %(resource_status)s due to "%(status_reason)s"', 432],
  ['EgressRuleNotAllowed', "Egress rules are only allowed when Neutron is used and the 'VpcId' property is set.", 460],
  ['Error', '%(message)s', 465],
  ['InvalidContentType', 'Invalid content type %(content_type)s', 478],
  ['RequestLimitExceeded', 'Request limit exceeded: %(message)s', 482],
  ['DownloadLimitExceeded', 'Permissible download limit exceeded: %(message)s', 486],
  ['StackResourceLimitExceeded', 'Maximum resources per stack exceeded.', 490],
  ['ActionInProgress', 'Stack %(stack_name)s already has an action (%(action)s) in progress.', 494],
  ['ActionNotComplete', 'Stack %(stack_name)s has an action (%(action)s) in progress or failed state.', 499],
  ['StopActionFailed', 'Failed to stop stack (%(stack_name)s) on other engine (%(engine_id)s)', 504],
  ['EventSendFailed', 'Failed to send message to stack (%(stack_name)s) on other engine (%(engine_id)s)', 509],
  ['InterfaceAttachFailed', 'Failed to attach interface (%(port)s) to server (%(server)s)', 514],
  ['InterfaceDetachFailed', 'Failed to detach interface (%(port)s) from server (%(server)s)', 519],
  ['UnsupportedObjectError', 'Unsupported object type %(objtype)s', 524],
  ['OrphanedObjectError', 'Cannot call %(method)s on orphaned %(objtype)s object', 528],
  ['IncompatibleObjectVersion', 'Version %(objver)s of %(objname)s is not supported', 532],
  ['ObjectActionError', 'Object action %(action)s failed because: %(reason)s', 536],
  ['ReadOnlyFieldError', 'Cannot modify readonly field %(field)s', 540],
  ['ConcurrentTransaction', 'Concurrent transaction for %(action)s', 544],
  ['ObjectFieldInvalid', 'Field %(field)s of %(objname)s is not an instance of Field', 548],
  [
    'KeystoneServiceNameConflict',
    'Keystone has more than one service with same name %(service)s. Please use service id instead of name',
    552,
  ],
  ['SIGHUPInterrupt', 'System SIGHUP signal received.', 557],
  ['InvalidServiceVersion', 'Invalid service %(service)s version %(version)s', 561],
  [
    'InvalidTemplateVersions',
    'A template version alias %(version)s was added for a template class that has no official YYYY-MM-DD version.',
    565,
  ],
  ['UnableToAutoAllocateNetwork', 'Unable to automatically allocate a network: %(message)s', 570],
  ['CircularDependencyException', 'Circular Dependency Found: %(cycle)s', 574],
];

const TEMPLATES = compileTemplates(EXCEPTION_PY);

// `Resource <ACTION> failed: `, as heat/engine/resource.py and ResourceFailure write it.
const RESOURCE_FAILED = /^Resource [A-Z_]{1,20} failed: /;
// A Python class name as type(exc).__name__ gives it (no module path): CamelCase, no dots.
const CLASS_NAME = /^[A-Z]\w{0,127}$/;

/** The exception class a Heat `state_reason` names or whose template it fits, or `unknown`. */
export function classifyHeatError(text: string): string {
  const reason = text.trim();
  const failed = RESOURCE_FAILED.exec(reason.slice(0, 40));
  const rest = failed ? reason.slice(failed[0].length) : reason;
  const colon = rest.indexOf(': ');
  if (colon > 0 && colon <= 128 && CLASS_NAME.test(rest.slice(0, colon))) return rest.slice(0, colon);
  const named = reprClassName(rest);
  if (named !== undefined) return named;
  const fitted = classifyMessage(TEMPLATES, rest);
  return fitted !== 'unknown' || !failed ? fitted : classifyMessage(TEMPLATES, reason);
}

/** The classes the table can tell, for tests and docs. */
export const KNOWN_HEAT_EXCEPTIONS: readonly string[] = [...new Set(TEMPLATES.map((t) => t.exception))].sort();

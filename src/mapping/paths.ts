/**
 * Payload paths: `volume_id`, `port.id` (Neutron nests the resource under its name),
 * `initiator.host.address`. Versioned payloads (`ironic_object.data`, `nova_object.data`,
 * `cinder_object.data`, ...) are looked through, so `provision_state` finds
 * `payload["ironic_object.data"].provision_state` as Ceilometer's definitions expect.
 */

export type Path = readonly string[];

const VERSIONED_DATA = /_object\.data$|^oslo_versionedobject\.data$/;

/** `a.b.c` → ['a', 'b', 'c']; undefined when a segment is empty. */
export function parsePath(text: string): Path | undefined {
  const parts = text.split('.');
  return parts.every((p) => p.length > 0) ? parts : undefined;
}

/** The value at the path, looking through versioned-object wrappers at every level. */
export function resolvePath(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    node = child(node, key);
    if (node === undefined) return undefined;
  }
  return node;
}

/** The first path that gives a non-empty string (numbers are turned into strings). */
export function firstString(root: unknown, paths: readonly Path[]): string | undefined {
  for (const path of paths) {
    const v = resolvePath(root, path);
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

function child(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  if (Array.isArray(node)) return /^\d+$/.test(key) ? node[Number(key)] : undefined;
  const obj = node as Record<string, unknown>;
  if (key in obj) return obj[key];
  for (const k in obj) {
    if (VERSIONED_DATA.test(k)) return child(obj[k], key);
  }
  return undefined;
}

/**
 * Reads Nova's notification settings out of nova.conf the way oslo.config
 * (iniparser.py, cfg.py) and oslo.messaging would, without running Python.
 * Pure: takes the file's text, never touches the filesystem.
 */

export interface NovaNotificationSettings {
  /** [oslo_messaging_notifications] transport_url, else [DEFAULT] transport_url (the RPC bus). */
  transportUrl: string | undefined;
  /** [oslo_messaging_notifications] topics, else [DEFAULT] notification_topics; undefined means oslo's default ["notifications"]. */
  topics: string[] | undefined;
  /** [notifications] versioned_notifications_topics; undefined means Nova's default ["versioned_notifications"]. */
  versionedTopics: string[] | undefined;
  /** [oslo_messaging_notifications] driver plus [DEFAULT] notification_driver; one entry per assignment. */
  driver: string[] | undefined;
  /** [notifications] notification_format; undefined means Nova's default: "unversioned" since Train, "both" before. */
  notificationFormat: 'unversioned' | 'versioned' | 'both' | undefined;
  /** [DEFAULT] control_exchange; undefined when absent (Nova then uses "nova"). */
  controlExchange: string | undefined;
  /** [notifications] notify_on_state_change. */
  notifyOnStateChange: string | undefined;
  /** False when no driver is configured (oslo's default list is empty) or every driver is noop, "" or none. */
  sendsNotifications: boolean;
  /** How oslo's rabbit driver declares the exchange Nova sends to, and which setting decided it. */
  exchange: ExchangeDeclaration;
}

/**
 * oslo.messaging's rabbit driver declares the exchange it publishes to with
 * `durable = amqp_durable_queues or rabbit_quorum_queue` and `auto_delete = amqp_auto_delete`
 * (impl_rabbit.py, Connection.durable and notify_send), all in [oslo_messaging_rabbit];
 * a query parameter of the transport_url of the same name wins over the file
 * (common.py, ConfigOptsProxy).
 */
export interface ExchangeDeclaration {
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** e.g. `[oslo_messaging_rabbit] rabbit_quorum_queue = true`, or oslo's defaults. */
  readonly because: string;
}

export class NovaConfError extends Error {
  override name = 'NovaConfError';
}

const NOTIFICATION_FORMATS = ['unversioned', 'versioned', 'both'] as const;
const SILENT_DRIVERS = new Set(['noop', '', 'none']);
// cfg.py lets substituted values reference further options; Python would recurse until RecursionError.
const MAX_INTERPOLATION_DEPTH = 16;

interface Entry {
  value: string;
  line: number;
}
type Sections = Map<string, Map<string, Entry[]>>;

/**
 * Parses oslo.config INI text into group -> key -> every value assigned, in file order.
 * Group names are normalised the way cfg.py looks them up: lower-cased, except
 * that only the exact spelling "DEFAULT" is the default group.
 */
export function parseIni(text: string, source = 'nova.conf'): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [group, keys] of parseEntries(text, source)) {
    out.set(group, new Map([...keys].map(([k, entries]) => [k, entries.map((e) => e.value)])));
  }
  return out;
}

/** Nova's notification settings from nova.conf text; `source` only names the file in errors. */
export function readNovaConf(text: string, source = 'nova.conf'): NovaNotificationSettings {
  const sections = parseEntries(text, source);
  const resolve = (found: Found | undefined): string | undefined => found && interpolate(sections, found, source, 0);

  // oslo.messaging treats an empty notification URL as unset ("if not url") and uses the RPC one.
  // notification_transport_url is the pre-16.0 (2025.1) alias.
  const transportUrl =
    resolve(
      single(sections, [
        ['oslo_messaging_notifications', 'transport_url'],
        ['DEFAULT', 'notification_transport_url'],
      ]),
    ) ||
    resolve(single(sections, [['DEFAULT', 'transport_url']])) ||
    undefined;

  const topicsRaw = resolve(
    single(sections, [
      ['oslo_messaging_notifications', 'topics'],
      ['rpc_notifier2', 'topics'],
      ['DEFAULT', 'notification_topics'],
    ]),
  );

  const versionedTopicsRaw = resolve(single(sections, [['notifications', 'versioned_notifications_topics']]));

  const driverFound = multi(sections, [
    ['oslo_messaging_notifications', 'driver'],
    ['DEFAULT', 'notification_driver'],
  ]);
  const driver = driverFound?.map((f) => interpolate(sections, f, source, 0));

  // Nova registered these in [DEFAULT] before Newton and still honours that deprecated group.
  const formatFound = single(sections, [
    ['notifications', 'notification_format'],
    ['DEFAULT', 'notification_format'],
  ]);
  const format = resolve(formatFound);
  if (formatFound && format !== undefined && !isNotificationFormat(format)) {
    // StrOpt choices are compared case-sensitively: "Both" fails at nova startup too.
    throw new NovaConfError(
      `${source}:${formatFound.entry.line}: [${formatFound.group}] notification_format must be one of ` +
        `${NOTIFICATION_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
    );
  }

  const flag = (key: string, aliases: readonly Name[] = []): { value: boolean; where: string } | undefined => {
    const fromUrl = transportUrl === undefined ? undefined : urlQuery(transportUrl).get(key);
    if (fromUrl !== undefined)
      return { value: parseBool(fromUrl, `${source}: transport_url ?${key}`), where: `transport_url ?${key}=${fromUrl}` };
    const found = single(sections, [['oslo_messaging_rabbit', key], ...aliases]);
    const raw = resolve(found);
    if (found === undefined || raw === undefined) return undefined;
    return { value: parseBool(raw, `${source}:${found.entry.line}: [${found.group}] ${key}`), where: `[${found.group}] ${key} = ${raw}` };
  };
  const quorum = flag('rabbit_quorum_queue');
  const durableQueues = flag('amqp_durable_queues');
  const autoDelete = flag('amqp_auto_delete', [['DEFAULT', 'amqp_auto_delete']]);
  const durableBy = quorum?.value ? quorum : durableQueues?.value ? durableQueues : undefined;
  const exchange: ExchangeDeclaration = {
    durable: durableBy !== undefined,
    autoDelete: autoDelete?.value ?? false,
    because: [
      durableBy?.where ?? durableQueues?.where ?? "oslo's default amqp_durable_queues = false",
      ...(autoDelete?.value ? [autoDelete.where] : []),
    ].join(', '),
  };

  return {
    transportUrl,
    topics: topicsRaw === undefined ? undefined : splitList(topicsRaw),
    versionedTopics: versionedTopicsRaw === undefined ? undefined : splitList(versionedTopicsRaw),
    driver,
    notificationFormat: format as NovaNotificationSettings['notificationFormat'],
    controlExchange: resolve(single(sections, [['DEFAULT', 'control_exchange']])),
    notifyOnStateChange: resolve(
      single(sections, [
        ['notifications', 'notify_on_state_change'],
        ['DEFAULT', 'notify_on_state_change'],
      ]),
    ),
    sendsNotifications: (driver ?? []).some((d) => !SILENT_DRIVERS.has(d)),
    exchange,
  };
}

// oslo.config's Boolean type: these words in any case, nothing else.
const TRUE_WORDS = new Set(['true', '1', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

function parseBool(raw: string, where: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new NovaConfError(`${where} must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`);
}

/** The query of an oslo transport_url; oslo joins a repeated parameter's values with commas. */
function urlQuery(url: string): Map<string, string> {
  const q = url.indexOf('?');
  const out = new Map<string, string>();
  if (q < 0) return out;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of new Set(params.keys())) out.set(key, params.getAll(key).join(','));
  return out;
}

function isNotificationFormat(v: string): v is (typeof NOTIFICATION_FORMATS)[number] {
  return (NOTIFICATION_FORMATS as readonly string[]).includes(v);
}

function normalizeGroup(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

function parseEntries(text: string, source: string): Sections {
  const sections: Sections = new Map();
  let section: string | undefined;
  let key: string | undefined;
  let keyLine = 0;
  let value: string[] = [];
  const fail = (lineNo: number, msg: string, line: string): never => {
    throw new NovaConfError(`${source}:${lineNo}: ${msg}: ${JSON.stringify(line)}`);
  };
  const flush = (): void => {
    if (key === undefined) return;
    if (section === undefined) fail(keyLine, 'section must be started before assignment', key);
    const keys = sections.get(section as string) as Map<string, Entry[]>;
    const entries = keys.get(key) ?? [];
    // Repeated keys accumulate; single-valued options later take the last one.
    entries.push({ value: value.join('\n'), line: keyLine });
    keys.set(key, entries);
    key = undefined;
    value = [];
  };

  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] as string).trimEnd();
    if (line === '') {
      // A blank (or whitespace-only) line ends a multi-line value.
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Any indented line continues the value, even one that looks like a comment or a section.
      if (key === undefined) fail(lineNo, 'unexpected continuation line', line);
      value.push(line.trimStart());
      continue;
    }
    flush();
    if (line.startsWith('[')) {
      // No trailing comments: "[DEFAULT] # x" is an error in oslo too.
      if (!line.endsWith(']')) fail(lineNo, 'invalid section (must end with ])', line);
      if (line.length <= 2) fail(lineNo, 'empty section name', line);
      section = normalizeGroup(line.slice(1, -1));
      if (!sections.has(section)) sections.set(section, new Map());
    } else if (line.startsWith('#') || line.startsWith(';')) {
      continue;
    } else {
      const colon = line.indexOf(':');
      const equal = line.indexOf('=');
      if (colon < 0 && equal < 0) fail(lineNo, "no ':' or '=' found in assignment", line);
      const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
      key = line.slice(0, at).trim();
      keyLine = lineNo;
      // Only whitespace and one pair of matching surrounding quotes are stripped; an inline "# ..." stays in the value.
      let v = line.slice(at + 1).trim();
      if (v && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
      value = [v];
      if (!key) fail(lineNo, 'key cannot be empty', line);
    }
  }
  flush();
  return sections;
}

interface Found {
  group: string;
  entry: Entry;
}
type Name = readonly [group: string, key: string];

function last(sections: Sections, group: string, key: string): Found | undefined {
  const entry = sections.get(group)?.get(key)?.at(-1);
  return entry && { group, entry };
}

// Single-valued option: the first of its names present wins (current name before deprecated aliases).
function single(sections: Sections, names: readonly Name[]): Found | undefined {
  for (const [group, key] of names) {
    const found = last(sections, group, key);
    if (found) return found;
  }
  return undefined;
}

// MultiStrOpt: cfg.py does not pick one name, it concatenates all of them, deprecated aliases' values first.
function multi(sections: Sections, names: readonly Name[]): Found[] | undefined {
  let out: Found[] | undefined;
  for (const [group, key] of names) {
    const entries = sections.get(group)?.get(key);
    if (entries) out = [...entries.map((entry) => ({ group, entry })), ...(out ?? [])];
  }
  return out;
}

// types.List: strip, drop trailing commas, split on "," and strip each item; "" is an empty list.
function splitList(raw: string): string[] {
  const s = raw.trim().replace(/,+$/, '');
  return s ? s.split(',').map((t) => t.trim()) : [];
}

// string.Template with cfg.py's idpattern; Template matches case-insensitively.
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\}|)/gi;

function interpolate(sections: Sections, found: Found, source: string, depth: number): string {
  const { group, entry } = found;
  // cfg.py rewrites "\$" to the "$$" escape before substituting.
  return entry.value
    .replaceAll('\\$', () => '$$')
    .replace(TEMPLATE, (match: string, escaped?: string, named?: string, braced?: string): string => {
      if (escaped) return '$';
      const ref = named ?? braced;
      // safe_substitute leaves a "$" that starts no placeholder as it is.
      if (ref === undefined) return match;
      if (depth >= MAX_INTERPOLATION_DEPTH) {
        throw new NovaConfError(
          `${source}:${entry.line}: substituting $${ref} in [${group}] nests deeper than ${MAX_INTERPOLATION_DEPTH} (reference loop?)`,
        );
      }
      // "$name" is looked up in the value's own group, then DEFAULT; "$group.name" in that group.
      const dot = ref.indexOf('.');
      const target =
        dot < 0
          ? (last(sections, group, ref) ?? last(sections, 'DEFAULT', ref))
          : (last(sections, normalizeGroup(ref.slice(0, dot)), ref.slice(dot + 1)) ?? last(sections, 'DEFAULT', ref));
      if (!target) {
        throw new NovaConfError(`${source}:${entry.line}: [${group}] refers to undefined option $${ref}`);
      }
      return interpolate(sections, target, source, depth + 1);
    });
}

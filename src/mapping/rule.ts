/**
 * A mapping rule once loaded and checked: what the engine evaluates. The file format it
 * comes from is described in docs/services.md; loader.ts turns one into the other.
 */
import type { CompiledGlob } from './glob.js';
import type { Path } from './paths.js';

/** `${1}` (a capture of the event type glob) or a notification field. */
export type TemplateVar = number | 'host' | 'publisher' | 'event_type' | 'exchange';

/** Literal text and variables, in order. */
export type Template = readonly (string | { readonly ref: TemplateVar })[];

/**
 * Where a value comes from: a template or payload paths (the first that holds a string
 * wins), then optionally renamed by `map`, cut before a separator, or defaulted.
 */
export interface ValueSpec {
  readonly template?: Template;
  readonly paths?: readonly Path[];
  readonly map?: ReadonlyMap<string, string>;
  readonly before?: string;
  readonly default?: string;
}

export interface Rule {
  readonly name: string;
  /** The path of the file it came from, for the `mapping` command and error messages. */
  readonly file: string;
  readonly eventTypes: readonly CompiledGlob[];
  readonly exchanges: ReadonlySet<string> | undefined;
  readonly publishers: ReadonlySet<string> | undefined;
  readonly service: string;
  readonly resource: ValueSpec;
  readonly action: ValueSpec | undefined;
  readonly phase: ValueSpec | undefined;
  /** The actions a templated `action` can give: shown at 0 while none is in flight. */
  readonly actions: readonly string[] | undefined;
  readonly resourceId: readonly Path[] | undefined;
  readonly status: ValueSpec | undefined;
  readonly host: ValueSpec | undefined;
  readonly exception: ValueSpec | undefined;
  readonly outcome: ValueSpec | undefined;
  /** The resource leaves the inventory (a delete's end). */
  readonly removes: boolean;
  /** A periodic audit naming each resource (`volume.exists`): refreshes the inventory. */
  readonly audit: boolean;
  /** Only in an operator's file: switches off the built-in rule of the same name. */
  readonly disabled: boolean;
}

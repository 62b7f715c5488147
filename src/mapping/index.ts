/** The declarative mapping: service notifications → facts (see docs/services.md). */
export { createResourceBound } from './bound.js';
export { compileMapping, explainNotification, mapServiceNotification, mayStart, type CompiledMapping, type MatchResult } from './engine.js';
export { MappingError } from './errors.js';
export type * from './facts.js';
export { BUILTIN_MAPPING_DIR, loadMappingFile, loadMappings, parseMappingFile } from './loader.js';
export type { Rule } from './rule.js';
export { SERVICES, SERVICE_NAMES, resolveServices, type ServiceBinding } from './services.js';

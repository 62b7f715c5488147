/**
 * Services whose error notifications carry message text rather than a class name: the
 * text → the exception class, by the service's own message templates. A service not
 * listed has none.
 */
import { classifyCinderError } from '../cinder/exception-templates.js';
import { classifyHeatError } from '../heat/exception-templates.js';

const BY_SERVICE: ReadonlyMap<string, (text: string) => string> = new Map([
  ['cinder', classifyCinderError],
  ['heat', classifyHeatError],
]);

/** The class the service's message text names or fits (`unknown` if none); undefined for a service without templates. */
export function classifyServiceError(service: string, text: string): string | undefined {
  return BY_SERVICE.get(service)?.(text);
}

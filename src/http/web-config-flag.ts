import { z } from 'zod';
import { readWebConfig, WebConfigError } from './web-config.js';

/**
 * --web.config.file: checked at start, certificates included, so a bad file stops the
 * exporter with one line (exit 2) as the toolkit's Validate does; served from the path,
 * which is read again whenever it changes.
 */
export const webConfigFile = z.string().transform((file, ctx): string | undefined => {
  if (file === '') return undefined;
  try {
    readWebConfig(file);
  } catch (err) {
    if (!(err instanceof WebConfigError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
    return z.NEVER;
  }
  return file;
});

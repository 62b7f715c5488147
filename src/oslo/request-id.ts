/**
 * oslo.context names each API request `req-<uuid4>` (`_context_request_id` on every
 * notification it causes; Nova's versioned payloads repeat it as `request_id`). It is what
 * an operator searches the services' logs for, so it travels on exemplars and `tail` filters
 * by it; anything of another shape is not taken for one.
 */
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The value when it is a request id, else undefined. */
export function requestIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length === 40 && REQUEST_ID.test(value) ? value : undefined;
}

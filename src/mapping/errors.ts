/** A mapping file that cannot be used. The message is one line naming the file, the rule and the key. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

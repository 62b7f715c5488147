/**
 * A name as one shell word, for the rabbitmqctl commands our hints print: a vhost, user,
 * queue or exchange may hold spaces or quotes, and a hint must still run when pasted.
 * Plain names stay as they are.
 */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

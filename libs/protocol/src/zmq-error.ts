/**
 * True for an error from zeromq with this errno `code` (`EAGAIN`, `EBUSY`, `ETERM`…): zeromq
 * errors are told apart by their code, never by their message.
 */
export function isZmqError(err: unknown, code: string): err is { readonly code: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

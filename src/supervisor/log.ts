// The supervisor's one diagnostic writer: a line on its stderr, which the
// launcher points at the session's supervisor.log. Never data, never a reply.
export function log(message: string): void {
  console.error(`bgterm supervisor: ${new Date().toISOString()} ${message}`);
}

// An error's message, or what it prints as (for errors nobody anticipated, the stack).
export function describe(error: unknown, withStack = false): string {
  if (error instanceof Error) return withStack && error.stack ? error.stack : error.message;
  return String(error);
}

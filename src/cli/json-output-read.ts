// The --json documents of the commands run most often (send, poll, read:
// one read's output), the error document, and the fields all documents share.
// Part of json-output.ts (which re-exports them), kept apart so that those
// commands do not load every other document's schema on each call.
import { type Infer, s } from "./json-schema.ts";

export const id = s.integer({ minimum: 1, description: "session id" });
export const name = s.nullable(s.string({ description: "session name" }));
export const offset = s.integer({ minimum: 0 });
export const exitCode = s.nullable(s.integer({ description: "exit status, 128+n for signal n; null while running" }));

// send, poll, read: what one read delivered.
export const readOutput = s.object(
  {
    id,
    name,
    text: s.string({ description: "the delivered bytes decoded as UTF-8 (invalid bytes become U+FFFD)" }),
    running: s.boolean(),
    exit_code: exitCode,
    start_offset: s.integer({ minimum: 0, description: "absolute offset where this read began" }),
    end_offset: s.integer({ minimum: 0, description: "absolute offset where this read ended" }),
    remaining_bytes: s.integer({ minimum: 0, description: "still unread after this read" }),
    dropped_bytes: s.integer({ minimum: 0, description: "session total discarded by retention" }),
    truncated: s.boolean({ description: "this read skipped dropped output" }),
    matched: s.boolean({ description: "whether --until matched (only with --until)" }),
  },
  { optional: ["matched"] },
);
export type ReadOutput = Infer<typeof readOutput>;

export const errorOutput = s.object({
  error: s.object({ code: s.integer({ minimum: 1, maximum: 255 }), message: s.string() }),
});

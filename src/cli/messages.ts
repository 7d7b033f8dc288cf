// Messages to the user on stderr (consola, decorations off): errors read
// exactly `bgterm: <message>`. consola/core keeps start-up cheap.
import { writeSync } from "node:fs";
import { createConsola } from "consola/core";

const messages = createConsola({
  reporters: [
    {
      log: (entry) => {
        const text = entry.args.map(String).join(" ");
        writeSync(2, `bgterm: ${entry.type === "warn" ? "warning: " : ""}${text}\n`);
      },
    },
  ],
});

export function reportError(message: string): void {
  messages.error(message);
}

export function warn(message: string): void {
  messages.warn(message);
}

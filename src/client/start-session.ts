// Starting one session from a checked spec: allocate its id (and name), launch
// its supervisor, undo the allocation if the start fails. Shared by `start`
// and `up`; --reuse hands back the live session that holds the name.
import { BgtermError, EXIT } from "../errors.ts";
import { closeSession } from "./close.ts";
import { launchSupervisor } from "./launch.ts";
import { allocateSession } from "./registry.ts";
import type { SessionFiles, SessionSpec } from "../shared/session-files.ts";

// How often --replace may find the name taken again by a racing start.
const REPLACE_ATTEMPTS = 50;

export type NameUse = "error" | "reuse" | "replace";

export async function launchSession(
  spec: SessionSpec,
  use: NameUse = "error",
  // In its own systemd user scope (start --scope).
  scope = false,
): Promise<{ files: SessionFiles; reused: boolean }> {
  let allocation = allocateSession(spec, use === "error" ? "error" : "return");
  // replace racing replace: close whoever holds the name now, and try again,
  // until the name is free when we allocate (bounded).
  for (let attempt = 0; allocation.kind === "taken" && use === "replace"; attempt++) {
    if (attempt === REPLACE_ATTEMPTS) {
      throw new BgtermError(EXIT.internal, `could not replace '${spec.name}': other starts keep taking the name`);
    }
    const holder = allocation.files;
    await closeSession(holder, "SIGHUP", 1000).catch((error) => {
      if (holder.exists()) throw error; // else: closed by another replacer meanwhile
    });
    allocation = allocateSession(spec, "return");
  }
  if (allocation.kind === "taken") return { files: allocation.files, reused: true };
  try {
    await launchSupervisor(allocation.files, spec.env, spec.backend, scope);
  } catch (error) {
    allocation.discard();
    throw error;
  }
  return { files: allocation.files, reused: false };
}

// Starting one session from a checked spec: allocate its id (and name), launch
// its supervisor, undo the allocation if the start fails. Shared by `start`
// and `up`; --reuse hands back the live session that holds the name.
import { closeSession } from "./close.ts";
import { launchSupervisor } from "./launch.ts";
import { allocateSession } from "./registry.ts";
import type { SessionFiles, SessionSpec } from "../shared/session-files.ts";

export type NameUse = "error" | "reuse" | "replace";

export async function launchSession(
  spec: SessionSpec,
  use: NameUse = "error",
  // In its own systemd user scope (start --scope).
  scope = false,
): Promise<{ files: SessionFiles; reused: boolean }> {
  let allocation = allocateSession(spec, use === "error" ? "error" : "return");
  if (allocation.kind === "taken" && use === "replace") {
    await closeSession(allocation.files, "SIGHUP", 1000);
    allocation = allocateSession(spec);
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

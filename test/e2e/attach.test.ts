// attach, driven through a real PTY: the attaching client runs inside another
// bgterm session (a bash), so its keystrokes and screen are real terminal I/O.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg, eventually } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

async function screenText(id: string): Promise<string> {
  return (await bg.json(["screen", id])).lines.join("\n");
}

async function screenUntil(id: string, pattern: RegExp): Promise<string> {
  let last = "";
  await eventually(async () => pattern.test((last = await screenText(id))), `${pattern} on screen; last:\n${last}`);
  return last;
}

describe("attach", () => {
  test("output flows both ways, the size follows, the detach key leaves the session running, terminal modes are restored", async () => {
    const inner = await bg.start(["bash", "--norc", "--noprofile"]);
    await bg.ok(["send", inner, "echo inner-ready"]);
    const outer = await bg.start(["--cols", "70", "--rows", "12", "bash", "--norc", "--noprofile"]);
    const before = path.join(bg.stateDir, "stty-before");
    const after = path.join(bg.stateDir, "stty-after");
    await bg.ok([
      "send",
      outer,
      `stty -g > ${before}; ${BIN} attach ${inner}; echo attach-exit=$?; stty -g > ${after}`,
      "--yield",
      "0",
    ]);
    // The inner screen is drawn first.
    await screenUntil(outer, /inner-ready/);
    // Keystrokes typed into the outer terminal reach the inner shell...
    await bg.ok(["send", outer, "echo typed-$((6*7))", "--yield", "0"]);
    await screenUntil(outer, /typed-42/);
    expect(await screenText(inner)).toContain("typed-42");
    // ...and the inner session took the attached terminal's size.
    expect((await bg.json(["info", inner])).cols).toBe(70);
    // Other commands keep working on the session while it is attached.
    expect(await bg.ok(["send", inner, "echo side-$((1+1))", "--until", "side-2\\n"])).toContain("side-2");
    await screenUntil(outer, /side-2/);
    // Detach: the client exits 0, the session stays, the terminal is as before.
    await bg.ok(["send", outer, "-k", "C-]", "--yield", "0"]);
    await screenUntil(outer, /attach-exit=0/);
    expect(await screenText(outer)).toContain(`[detached from session ${inner}]`);
    await eventually(() => fs.existsSync(after), "the outer shell to record its terminal modes");
    expect(fs.readFileSync(after, "utf8")).toBe(fs.readFileSync(before, "utf8"));
    expect((await bg.json(["info", inner])).state).toBe("running");
    await bg.ok(["close", inner, outer]);
  });

  test("the session exiting while attached prints its exit code", async () => {
    const inner = await bg.start(["sh", "-c", "read x; exit 7"]);
    const outer = await bg.start(["bash", "--norc", "--noprofile"]);
    await bg.ok(["send", outer, `${BIN} attach ${inner}; echo attach-exit=$?`, "--yield", "0"]);
    // attach draws on the alternate screen: once it is there, the client is attached.
    await eventually(
      async () => (await bg.json(["screen", outer])).alternate_screen === true,
      "attach to take the terminal",
    );
    await bg.ok(["send", inner, "", "--yield", "0"]);
    const text = await screenUntil(outer, /attach-exit=7/);
    expect(text).toContain(`[session ${inner} exited with code 7]`);
    await bg.ok(["close", inner, outer]);
  });

  test("refuses without a terminal on stdin (exit 2)", async () => {
    const id = await bg.start(["cat"]);
    const result = await bg.run(["attach", id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toStartWith("bgterm: attach needs a terminal on stdin");
    await bg.ok(["close", id]);
  });
});

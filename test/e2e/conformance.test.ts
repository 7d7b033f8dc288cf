// The PTY backend conformance suite: the same real programs through both
// backends, via the compiled binary.
import { afterAll, describe, expect, test } from "bun:test";
import { Bg } from "../helpers.ts";

for (const backend of ["bun", "bun-pty"] as const) {
  describe(`backend ${backend}`, () => {
    const bg = new Bg(undefined, { BGTERM_BACKEND: backend });
    afterAll(() => bg.cleanup());

    test("reports the backend in the record", async () => {
      const id = await bg.start(["cat"]);
      expect((await bg.json(["info", id])).backend).toBe(backend);
      await bg.ok(["close", id]);
    });

    test("python3 REPL: 2+2 prints 4 and the next prompt", async () => {
      const id = await bg.start(["python3"]);
      await bg.readUntil(id, />>> $/);
      const out = await bg.ok(["send", id, "2+2"]);
      expect(out).toContain("4\r\n>>> ");
      await bg.ok(["close", id]);
    });

    test("bash keeps cwd and variables across sends", async () => {
      const id = await bg.start(["bash", "--norc", "--noprofile"]);
      await bg.ok(["send", id, "cd /tmp && export BGT_X=forty-two"]);
      const out = await bg.ok(["send", id, 'echo "[$BGT_X:$PWD]"', "--plain"]);
      expect(out).toContain("[forty-two:/tmp]");
      await bg.ok(["close", id]);
    });

    test("a program printing 1 MiB then exiting: every byte, in order, and its exit code", async () => {
      const script =
        "import sys\nfor i in range(16384): sys.stdout.write('%063d\\n' % i)\nsys.stdout.flush()\nsys.exit(7)";
      const id = await bg.start(["--max-buffer", "4M", "python3", "-c", script]);
      const wait = await bg.run(["wait", id, "--timeout", "20000"]);
      expect(wait.code).toBe(7);
      expect(wait.text).toBe("7\n");
      const out = await bg.run(["read", id]);
      expect(out.code).toBe(0);
      const lines = out.text.split("\r\n");
      expect(lines.length).toBe(16385);
      for (let i = 0; i < 16384; i++)
        if (lines[i] !== String(i).padStart(63, "0")) throw new Error(`line ${i}: ${lines[i]}`);
      expect(out.stdout.length).toBe(16384 * 65);
      await bg.ok(["close", id]);
    });

    test("exit codes: a normal exit code and a signal death (128+n)", async () => {
      const id = await bg.start(["sh", "-c", "exit 42"]);
      expect((await bg.run(["wait", id, "--timeout", "10000"])).code).toBe(42);
      expect((await bg.json(["info", id])).exit_code).toBe(42);
      const killed = await bg.start(["sh", "-c", "kill -TERM $$"]);
      const result = await bg.run(["wait", killed, "--timeout", "10000"]);
      // bun-pty's library reaps the child itself and reports a signal death as 1.
      expect(result.code).toBe(backend === "bun" ? 143 : 1);
      await bg.ok(["close", id, killed]);
    });

    test("invalid UTF-8 and binary bytes come out exactly", async () => {
      const id = await bg.start([
        "sh",
        "-c",
        "stty raw -echo; printf '\\377\\376\\000\\001\\302'; printf 'ok\\n'; sleep 30",
      ]);
      await bg.readUntil(id, /ok/, 10_000, "probe");
      const out = await bg.run(["read", id]);
      expect([...out.stdout]).toEqual([0xff, 0xfe, 0x00, 0x01, 0xc2, ...Buffer.from("ok\n")]);
      await bg.ok(["close", id]);
    });

    test("binary input via --stdin arrives exactly", async () => {
      const id = await bg.start(["sh", "-c", "stty raw -echo; echo ready; head -c 6 | od -An -tx1; sleep 30"]);
      await bg.readUntil(id, /ready/);
      const out = await bg.ok(["send", id, "--stdin", "--until", "\\n"], {
        stdin: new Uint8Array([0xff, 0x00, 0xc3, 0x28, 0x0a, 0x04]),
      });
      expect(out.replace(/\s+/g, " ").trim()).toBe("ff 00 c3 28 0a 04");
      await bg.ok(["close", id]);
    });

    test("resize: the program sees the new size", async () => {
      const id = await bg.start(["--cols", "100", "--rows", "30", "bash", "--norc", "--noprofile"]);
      expect(await bg.ok(["send", id, "stty size", "--plain"])).toContain("30 100");
      await bg.ok(["resize", id, "120", "40"]);
      expect(await bg.ok(["send", id, "stty size", "--plain"])).toContain("40 120");
      const info = await bg.json(["info", id]);
      expect([info.cols, info.rows]).toEqual([120, 40]);
      await bg.ok(["close", id]);
    });

    test("kill interrupts the foreground job and the session stays", async () => {
      const id = await bg.start(["bash", "--norc", "--noprofile"]);
      await bg.ok(["send", id, "sleep 1000", "--yield", "300"]);
      await bg.ok(["kill", id]);
      expect(await bg.ok(["send", id, "echo status-$?", "--until", "status-\\d+\\n"])).toContain("status-130");
      expect((await bg.json(["info", id])).state).toBe("running");
      await bg.ok(["close", id]);
    });
  });
}

// Unread cursors, waiting (--yield, --until, --idle), paging by absolute
// offset, retention, readers and concurrent pollers.
import { afterAll, describe, expect, test } from "bun:test";
import { Bg } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// A cat session with echo off: what we send comes back once, from cat.
async function startCat(extra: string[] = []): Promise<string> {
  const id = await bg.start([...extra, "sh", "-c", "stty -echo; echo ready; exec cat"]);
  await bg.readUntil(id, /ready\n/);
  return id;
}

describe("unread cursor", () => {
  test("each byte is delivered once; a later poll sees only what is new", async () => {
    const id = await startCat();
    expect(await bg.ok(["send", id, "one"])).toBe("one\r\n");
    expect(await bg.ok(["send", id, "two"])).toBe("two\r\n");
    expect((await bg.run(["read", id])).text).toBe("");
    await bg.ok(["close", id]);
  });

  test("a poll returns at once when output is already waiting", async () => {
    const id = await startCat();
    await bg.ok(["send", id, "waiting", "--reader", "other"]);
    // The default reader has not read "waiting" yet. With a 60 s yield, only
    // the immediate-return rule can make this poll come back.
    const started = performance.now();
    const out = await bg.run(["poll", id, "--yield", "60000"]);
    expect(out.code).toBe(0);
    expect(out.text).toBe("waiting\r\n");
    expect(performance.now() - started).toBeLessThan(30_000);
    await bg.ok(["close", id]);
  });

  test("a poll with nothing unread waits for output, and returns empty when the yield ends", async () => {
    const id = await startCat();
    const empty = await bg.run(["poll", id, "--yield", "200"]);
    expect(empty.code).toBe(0);
    expect(empty.text).toBe("");
    const json = await bg.json(["poll", id, "--yield", "0"]);
    expect(json.text).toBe("");
    expect(json.running).toBe(true);
    await bg.ok(["close", id]);
  });

  test("--json carries the documented fields", async () => {
    const id = await startCat();
    const json = await bg.json(["send", id, "héllo"]);
    expect(json).toEqual({
      id: Number(id),
      name: null,
      text: "héllo\r\n",
      running: true,
      exit_code: null,
      start_offset: 7,
      end_offset: 7 + Buffer.byteLength("héllo\r\n"),
      remaining_bytes: 0,
      dropped_bytes: 0,
      truncated: false,
    });
    await bg.ok(["close", id]);
  });

  test("readers keep separate cursors", async () => {
    const id = await startCat();
    await bg.ok(["send", id, "shared", "--reader", "agent"]);
    expect(await bg.ok(["read", id, "--reader", "person"])).toBe("ready\r\nshared\r\n");
    expect(await bg.ok(["read", id])).toBe("shared\r\n");
    expect(await bg.ok(["read", id, "--reader", "agent"])).toBe("");
    const bad = await bg.run(["read", id, "--reader", "../x"]);
    expect(bad.code).toBe(2);
    await bg.ok(["close", id]);
  });
});

describe("waiting", () => {
  test("--until waits for a match and prints everything unread up to then", async () => {
    const id = await bg.start(["sh", "-c", "echo start; sleep 0.3; echo middle; sleep 0.3; echo DONE-1; sleep 30"]);
    const out = await bg.run(["poll", id, "--until", "DONE-\\d", "--yield", "15000"]);
    expect(out.code).toBe(0);
    expect(out.text).toBe("start\r\nmiddle\r\nDONE-1\r\n");
    const json = await bg.json(["poll", id, "--until", "never", "--yield", "100"]).catch((e) => e);
    expect(String(json)).toContain("exited 124");
    await bg.ok(["close", id]);
  });

  test("--until: exit 124 with output printed when the yield ends first, and the cursor moves past it", async () => {
    const id = await startCat();
    const out = await bg.run(["send", id, "some output", "--until", "NEVER", "--yield", "300"]);
    expect(out.code).toBe(124);
    expect(out.text).toBe("some output\r\n");
    expect(out.stderr).toBe(`bgterm: --until did not match in session ${id} before the yield ended\n`);
    expect(await bg.ok(["read", id])).toBe("");
    await bg.ok(["close", id]);
  });

  test("--until: exit 4 with output printed when the program exits first", async () => {
    const id = await bg.start(["sh", "-c", "sleep 0.2; echo bye; exit 5"]);
    const out = await bg.run(["poll", id, "--until", "NEVER", "--yield", "15000"]);
    expect(out.code).toBe(4);
    expect(out.text).toBe("bye\r\n");
    expect(out.stderr).toContain("exit code 5");
    await bg.ok(["close", id]);
  });

  test("send --until matches output after the input (the echo pitfall and its idiom)", async () => {
    const id = await bg.start(["bash", "--norc", "--noprofile"]);
    // The echo of the command line contains "mark" too; anchoring on the
    // printed form (built by the shell, not typed) avoids matching the echo.
    const out = await bg.ok(["send", id, "sleep 0.5; echo m''ark-$((6*7))", "--until", "mark-42", "--plain"]);
    expect(out).toContain("mark-42\n");
    await bg.ok(["close", id]);
  });

  test("--idle returns only after output has been quiet that long", async () => {
    const id = await bg.start(["sh", "-c", "read x; for i in 1 2 3 4 5; do echo tick$i; sleep 0.1; done; sleep 30"]);
    const out = await bg.ok(["send", id, "go", "--idle", "600", "--plain"]);
    expect(out).toContain("tick5");
    const bare = await bg.start(["sh", "-c", "read x; echo first; sleep 1; echo second; sleep 30"]);
    const quick = await bg.ok(["send", bare, "go", "--idle", "0", "--until", "first"]);
    expect(quick).not.toContain("second");
    await bg.ok(["close", id, bare]);
  });

  test("a poll waiting when the program exits returns at once with the final output", async () => {
    const id = await bg.start(["sh", "-c", "read x; echo last words; exit 3"]);
    const poller = bg.json(["poll", id, "--yield", "60000", "--idle", "60000"]);
    await bg.ok(["send", id, "", "--yield", "0", "--reader", "sender"]);
    const json = await poller;
    expect(json.text).toContain("last words");
    expect(json.running).toBe(false);
    expect(json.exit_code).toBe(3);
    await bg.ok(["close", id]);
  });
});

describe("paging and retention", () => {
  test("--from/--limit page over absolute offsets without moving the cursor", async () => {
    const id = await bg.start(["sh", "-c", "stty raw; printf 0123456789abcdef; sleep 30"]);
    await bg.readUntil(id, /f/, 10_000, "probe");
    expect(await bg.ok(["read", id, "--from", "4", "--limit", "6"])).toBe("456789");
    expect(await bg.ok(["read", id, "--from", "10"])).toBe("abcdef");
    expect(await bg.ok(["read", id, "--peek", "--limit", "3"])).toBe("012");
    const page = await bg.json(["read", id, "--limit", "10"]);
    expect([page.text, page.start_offset, page.end_offset, page.remaining_bytes]).toEqual(["0123456789", 0, 10, 6]);
    expect(await bg.ok(["read", id])).toBe("abcdef");
    await bg.ok(["close", id]);
  });

  test("retention keeps exactly the last --max-buffer bytes and counts what it dropped", async () => {
    const id = await bg.start([
      "--max-buffer",
      "1K",
      "sh",
      "-c",
      "stty raw; head -c 5000 /dev/zero | tr '\\0' x; printf END; sleep 30",
    ]);
    await bg.readUntil(id, /END/, 10_000, "probe");
    const json = await bg.json(["read", id]);
    expect(json.truncated).toBe(true);
    expect(json.dropped_bytes).toBe(5003 - 1024);
    expect(json.start_offset).toBe(5003 - 1024);
    expect(json.end_offset).toBe(5003);
    expect(json.text).toBe(`${"x".repeat(1021)}END`);
    const info = await bg.json(["info", id]);
    expect([info.start_offset, info.end_offset, info.dropped_bytes, info.cursor]).toEqual([3979, 5003, 3979, 5003]);
    await bg.ok(["close", id]);
  });

  test("a read never ends inside a UTF-8 character", async () => {
    const id = await bg.start(["sh", "-c", "stty raw; printf 'a\\342\\202\\254b'; sleep 30"]);
    await bg.readUntil(id, /b/, 10_000, "probe");
    const first = await bg.json(["read", id, "--limit", "2"]);
    expect(first.text).toBe("a");
    expect(first.end_offset).toBe(1);
    expect((await bg.json(["read", id])).text).toBe("€b");
    await bg.ok(["close", id]);
  });
});

describe("concurrency", () => {
  test("concurrent pollers of one reader: no byte twice, none lost", async () => {
    const id = await bg.start([
      "sh",
      "-c",
      "read x; i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; sleep 30",
    ]);
    await bg.ok(["send", id, "go", "--yield", "0", "--reader", "sender"]);
    // The pollers stop once together they hold as many bytes as the program
    // prints (a byte delivered twice or lost then shows in the comparison below).
    const expected = `go\r\n${Array.from({ length: 3000 }, (_, i) => `line-${i}\r\n`).join("")}`;
    let received = 0;
    const deadline = performance.now() + 60_000;
    const pollers = Array.from({ length: 6 }, async () => {
      const got: { offset: number; text: string }[] = [];
      while (received < expected.length && performance.now() < deadline) {
        const json = await bg.json(["poll", id, "--yield", "300", "--idle", "0"]);
        if (json.text) {
          got.push({ offset: json.start_offset, text: json.text });
          received += json.text.length;
        }
      }
      return got;
    });
    const pieces = (await Promise.all(pollers)).flat().sort((a, b) => a.offset - b.offset);
    const rest = await bg.json(["read", id]);
    if (rest.text) pieces.push({ offset: rest.start_offset, text: rest.text });
    const all = pieces.map((p) => p.text).join("");
    expect(all).toBe(expected);
    await bg.ok(["close", id]);
  });
});

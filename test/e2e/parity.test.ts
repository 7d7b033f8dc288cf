// Terminal parity: each scenario runs in bgterm and in tmux (a private server,
// the reference where it agrees with xterm), and the screens (text and cursor)
// must be identical. Where tmux is known to differ from xterm, the scenario
// carries the screen xterm shows instead. The figure (N of M identical) is in
// the README; keep it at M of M.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, ensureProgram } from "../helpers.ts";

interface Scenario {
  name: string;
  // A POSIX sh script; it should leave the screen still (end in a sleep).
  script: string;
  // Lines to type (each followed by Enter) once `ready` is on both screens.
  keys?: string[];
  ready?: RegExp;
  // The screen as xterm shows it, where tmux shows something else.
  expected?: string[];
  program?: string;
}

const HOLD = "exec sleep 600";
const text = fs
  .readFileSync(path.join(import.meta.dir, "../../README.md"), "utf8")
  .split("\n")
  .slice(0, 60)
  .join("\n");

const scenarios: Scenario[] = [
  { name: "plain lines", script: `printf 'one\\ntwo\\nthree\\n'; ${HOLD}` },
  { name: "wrap at the right margin", script: `printf '%0200d\\nnext\\n' 0; ${HOLD}` },
  { name: "exactly full row, then newline", script: `printf '%080d\\nnext' 0; ${HOLD}` },
  {
    name: "carriage-return progress bar",
    script: `for i in 10 50 100; do printf '\\rprogress %3d%%' $i; done; printf '\\n'; ${HOLD}`,
  },
  {
    name: "erase in line (0, 1, 2)",
    script: `printf 'aaaaaaaaaa\\e[5G\\e[K\\nbbbbbbbbbb\\e[5G\\e[1K\\ncccccccccc\\e[5G\\e[2K\\n'; ${HOLD}`,
  },
  { name: "erase in display", script: `seq 1 20; printf '\\e[10;3H\\e[J\\e[5;2H\\e[1J'; ${HOLD}` },
  {
    name: "cursor motion (CUP, CUU, CUD, CUF, CUB, CHA, VPA)",
    script: `printf '\\e[2J\\e[5;10HA\\e[2AB\\e[3BC\\e[4CD\\e[6DE\\e[30GF\\e[12dG'; ${HOLD}`,
  },
  {
    name: "scrolling region with line feeds",
    script: `printf '\\e[2J\\e[Htop\\e[24;1Hbottom\\e[5;10r\\e[5;1H'; for i in 1 2 3 4 5 6 7 8; do printf 'r%d\\n' $i; done; printf '\\e[r'; ${HOLD}`,
  },
  {
    name: "reverse index at the top of a region",
    script: `seq 1 12; printf '\\e[3;8r\\e[3;1H\\eM\\eMnew\\e[r'; ${HOLD}`,
  },
  {
    name: "origin mode inside a region",
    script: `printf '\\e[2J\\e[5;15r\\e[?6h\\e[1;1Hin-origin\\e[20;1Hclamped\\e[?6l\\e[r'; ${HOLD}`,
  },
  { name: "insert and delete lines", script: `seq 1 10; printf '\\e[3;1H\\e[2L\\e[7;1H\\e[1M'; ${HOLD}` },
  {
    name: "insert, delete and erase characters",
    script: `printf 'abcdefghij\\e[3G\\e[2@XY\\nabcdefghij\\e[3G\\e[3P\\nabcdefghij\\e[3G\\e[4X\\n'; ${HOLD}`,
  },
  { name: "default tab stops", script: `printf 'a\\tb\\tc\\n1234567\\tx\\n12345678\\ty\\n'; ${HOLD}` },
  {
    name: "tab stops set and cleared",
    script: `printf '\\e[3g\\e[5G\\eH\\e[15G\\eH\\r\\ta\\tb\\n\\e[5G\\e[0g\\r\\tc\\n\\e[?5W'; ${HOLD}`,
  },
  {
    name: "alternate screen with save and restore (1049)",
    script: `printf 'main text\\n'; printf '\\e[?1049h\\e[Halt text'; printf '\\e[?1049l'; printf 'back\\n'; ${HOLD}`,
  },
  {
    name: "alternate screen stays (47)",
    script: `printf 'main text\\n\\e[?47h\\e[2J\\e[3;3Hon the alternate screen'; ${HOLD}`,
  },
  {
    name: "save and restore cursor (DECSC, DECRC)",
    script: `printf '\\e[2J\\e[4;6H\\e7\\e[10;10Hfar\\e8here'; ${HOLD}`,
  },
  {
    name: "256 and true colours keep the text",
    script: `for c in 1 9 46 196 231; do printf '\\e[38;5;%dmc%d\\e[0m ' $c $c; done; printf '\\n\\e[38;2;255;100;0mtrue\\e[48;2;0;0;255mcolour\\e[0m\\n\\e[1;4;7mattrs\\e[m\\n'; ${HOLD}`,
  },
  { name: "wide CJK characters and a carriage return", script: `printf '日本語のテキスト|\\n日本語\\rab\\n'; ${HOLD}` },
  {
    name: "combining characters",
    script: `printf 'cafe\\314\\201 n\\314\\203o\\n' ; printf 'e\\314\\201\\314\\202x|\\n'; ${HOLD}`,
  },
  { name: "emoji take two cells", script: `printf '😀🚀#\\e[20G|\\n🎉x🎉\\e[10G|\\n'; ${HOLD}` },
  { name: "wide character at the right margin wraps", script: `printf '%079d日x\\n' 0; ${HOLD}` },
  {
    name: "cursor position report (CPR) round trip",
    script: `stty -echo; printf '\\e[2J\\e[7;12H'; printf '\\e[6n'; IFS= read -r -s -d R reply; printf '\\e[1;1Hreply: %s' "$(printf '%s' "$reply" | od -An -c | tr -s ' ')"; ${HOLD}`,
  },
  {
    name: "device status report (5n) round trip",
    script: `stty -echo; printf '\\e[5n'; IFS= read -r -s -d n reply; printf 'status: %s\\n' "$(printf '%s' "$reply" | tr -d '\\033')"; ${HOLD}`,
  },
  { name: "autowrap off", script: `printf '\\e[?7l%0100d|\\e[?7h\\nnext\\n' 0; ${HOLD}` },
  { name: "scrolling a hundred lines", script: `seq 1 100; ${HOLD}` },
  { name: "screen alignment pattern (DECALN)", script: `printf '\\e#8\\e[12;30H hello '; ${HOLD}` },
  { name: "insert mode (IRM)", script: `printf 'abcdef\\e[3G\\e[4hXY\\e[4l\\n'; ${HOLD}` },
  { name: "backspace and overwrite", script: `printf 'abcdef\\b\\b\\bXY\\n'; ${HOLD}` },
  {
    name: "index and next line (IND, NEL)",
    script: `printf '\\e[2J\\e[Hab\\eDcd\\eEef'; ${HOLD}`,
  },
  {
    name: "DECCOLM clears and homes (after ?40h)",
    script: `printf 'old text\\e[?40h\\e[?3lNEW'; ${HOLD}`,
    // tmux ignores DECCOLM; xterm (with 80/132 switching allowed) clears the screen and homes the cursor.
    expected: ["NEW"],
  },
  {
    name: "vim showing a file",
    program: "vim",
    script: `printf 'first line\\nsecond line\\n\\tindented\\n' > "$DIR/file.txt"; exec vim -u NONE -i NONE -N -n "$DIR/file.txt"`,
    ready: /file\.txt/,
  },
  {
    name: "less paging a file",
    program: "less",
    script: `seq 1 300 > "$DIR/nums.txt"; exec less "$DIR/nums.txt"`,
    ready: /nums\.txt/,
  },
  {
    name: "python3 REPL",
    program: "python3",
    script: `exec python3 -q -i`,
    ready: /^>>>$/m,
    keys: ["print('hello ' * 3)", "2 ** 100"],
  },
  {
    name: "bash readline, a line longer than the screen",
    program: "bash",
    script: `PS1='$ ' exec bash --norc --noprofile -i`,
    ready: /^\$$/m,
    keys: [`echo ${"word ".repeat(25)}end`],
  },
  { name: "a README page", script: `cat "$DIR/readme.txt"; ${HOLD}` },
];

const bg = new Bg();
const socket = `bgt-parity-${process.pid}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-parity-"));
let tmuxReady = false;
const identical: string[] = [];

function tmux(...args: string[]): { code: number; out: string } {
  const result = Bun.spawnSync(["tmux", "-L", socket, "-f", path.join(dir, "tmux.conf"), ...args], {
    env: { ...process.env, LANG: "C.UTF-8", TMUX: undefined },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, out: result.stdout.toString() };
}

// Rows with trailing blanks removed, trailing empty rows dropped.
function normalise(lines: string[]): string[] {
  const rows = lines.map((line) => line.replace(/\s+$/, ""));
  while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop();
  return rows;
}

beforeAll(() => {
  fs.writeFileSync(path.join(dir, "readme.txt"), text);
  fs.writeFileSync(
    path.join(dir, "tmux.conf"),
    "set -g status off\nset -g default-terminal xterm-256color\nset -g escape-time 0\n",
  );
  tmuxReady = ensureProgram("tmux") !== undefined;
});

afterAll(async () => {
  if (tmuxReady) tmux("kill-server");
  console.log(`parity with tmux/xterm: ${identical.length} of ${scenarios.length} identical`);
  await bg.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function bgScreen(id: string): Promise<{ rows: string[]; cursor: string }> {
  const json = await bg.json(["screen", id]);
  return { rows: normalise(json.lines), cursor: `${json.cursor_x},${json.cursor_y}` };
}

function tmuxScreen(name: string): { rows: string[]; cursor: string } {
  const rows = normalise(tmux("capture-pane", "-p", "-t", name).out.split("\n"));
  const cursor = tmux("display-message", "-p", "-t", name, "#{cursor_x},#{cursor_y}").out.trim();
  return { rows, cursor };
}

// Waits (bounded) until `check` holds; returns whether it did.
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await Bun.sleep(delay);
  }
}

describe("parity with tmux", () => {
  scenarios.forEach((scenario, index) => {
    test(scenario.name, async () => {
      if (!tmuxReady) return console.warn("tmux not available: parity not measured");
      if (scenario.program && !ensureProgram(scenario.program)) return console.warn(`${scenario.program} missing`);
      const file = path.join(dir, `s${index}.sh`);
      fs.writeFileSync(file, `export DIR='${dir}' TERM=xterm-256color LANG=C.UTF-8\n${scenario.script}\n`);
      const name = `s${index}`;
      const id = await bg.start(["--cols", "80", "--rows", "24", "-e", "LANG=C.UTF-8", "--", "bash", file]);
      const useTmux = !scenario.expected;
      if (useTmux) expect(tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", name, `bash ${file}`).code).toBe(0);
      if (scenario.keys) {
        const ready = scenario.ready!;
        const shows = async () =>
          ready.test((await bgScreen(id)).rows.join("\n")) && ready.test(tmuxScreen(name).rows.join("\n"));
        expect(await within(20_000, shows)).toBe(true);
        for (const line of scenario.keys) {
          await bg.ok(["send", id, line, "--yield", "0"]);
          tmux("send-keys", "-t", name, "-l", line);
          tmux("send-keys", "-t", name, "Enter");
        }
      }
      let mine = await bgScreen(id);
      let reference = useTmux ? tmuxScreen(name) : { rows: scenario.expected!, cursor: mine.cursor };
      const same = () => JSON.stringify(mine) === JSON.stringify(reference);
      await within(10_000, async () => {
        mine = await bgScreen(id);
        reference = useTmux ? tmuxScreen(name) : { rows: scenario.expected!, cursor: mine.cursor };
        return same();
      });
      if (useTmux) tmux("kill-session", "-t", name);
      await bg.ok(["close", id]);
      if (same()) identical.push(scenario.name);
      expect(mine).toEqual(reference);
    });
  });
});

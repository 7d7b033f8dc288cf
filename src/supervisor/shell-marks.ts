// The output path's filter for shell integration: finds the OSC 133 marks that
// carry this session's nonce, removes them from the stream (no reader, lines,
// screen, grep or export ever sees one) and reports them in order with the
// output around them. Marks without the nonce pass through untouched. It also
// hides stretches of output on request (the echo of a line bgterm typed for
// itself) and notes the terminal modes exec cares about (bracketed paste, the
// alternate screen). A mark split across chunks is held back until complete;
// anything held longer than HOLD_MS goes out as it is.

// The longest mark body looked for (a C mark carries the command line).
const MAX_MARK = 16 * 1024;
// How long an incomplete escape sequence at the end of a chunk is held.
const HOLD_MS = 25;
// Hidden output kept at most (beyond it the hidden stretch is released).
const MAX_HIDDEN = 256 * 1024;

const OSC_PREFIX = Buffer.from("\x1b]133;", "latin1");

export interface ShellMark {
  // A prompt starts, B prompt ends, C command starts, D command ended, E the
  // command's output ended (zsh: before its PROMPT_SP line-end mark).
  kind: "A" | "B" | "C" | "D" | "E";
  status?: number;
  pid?: number;
  command?: string;
}

export interface MarkSink {
  output(bytes: Uint8Array): void;
  mark(mark: ShellMark): void;
  // A DEC private mode the program switched (2004 bracketed paste, 1049/1047/47 alternate screen).
  mode?(mode: number, on: boolean): void;
}

interface Hiding {
  until: ShellMark["kind"];
  replacement: Buffer;
  chunks: Buffer[];
  bytes: number;
  timer: Timer;
}

// Parses the body of `ESC ] 133 ; BODY BEL`; undefined unless it carries the nonce.
export function parseMark(body: string, nonce: string): ShellMark | undefined {
  const kind = body[0];
  if (kind !== "A" && kind !== "B" && kind !== "C" && kind !== "D" && kind !== "E") return undefined;
  const cmdAt = body.indexOf(";cmd=");
  const fields = (cmdAt === -1 ? body : body.slice(0, cmdAt)).split(";");
  if (!fields.includes(`bgterm=${nonce}`)) return undefined;
  const mark: ShellMark = { kind };
  if (kind === "D" && /^\d{1,3}$/.test(fields[1] ?? "")) mark.status = Number(fields[1]);
  const pid = fields.find((field) => field.startsWith("pid="));
  if (pid && /^pid=\d{1,10}$/.test(pid)) mark.pid = Number(pid.slice(4));
  if (cmdAt !== -1) mark.command = Buffer.from(body.slice(cmdAt + 5), "latin1").toString("utf8");
  return mark;
}

export class ShellMarks {
  private held: Buffer = Buffer.alloc(0);
  private holdTimer?: Timer;
  private hiding?: Hiding;

  constructor(
    private readonly nonce: string,
    private readonly sink: MarkSink,
  ) {}

  // Output from the program, in order.
  feed(chunk: Uint8Array): void {
    clearTimeout(this.holdTimer);
    const bytes =
      this.held.length > 0
        ? Buffer.concat([this.held, chunk])
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.held = Buffer.alloc(0);
    let from = 0;
    let at = bytes.indexOf(0x1b);
    while (at !== -1) {
      const next = bytes[at + 1];
      if (next === undefined) {
        this.hold(bytes, from, at);
        return;
      }
      if (next === 0x5d) {
        const result = this.scanOsc(bytes, at);
        if (result === "hold") {
          this.hold(bytes, from, at);
          return;
        }
        if (result !== undefined) {
          this.emit(bytes.subarray(from, at));
          from = result.end;
          this.deliverMark(result.mark);
          at = bytes.indexOf(0x1b, from);
          continue;
        }
      } else if (next === 0x5b && bytes[at + 2] === 0x3f) {
        this.scanMode(bytes, at);
      }
      at = bytes.indexOf(0x1b, at + 1);
    }
    this.emit(bytes.subarray(from));
  }

  // Hides output until the next own mark of `kind` (then `replacement` stands
  // in for it), or until timeoutMs pass (then it is released as it was).
  hideUntil(kind: ShellMark["kind"], replacement: string, timeoutMs: number): void {
    this.release();
    this.hiding = {
      until: kind,
      replacement: Buffer.from(replacement, "utf8"),
      chunks: [],
      bytes: 0,
      timer: setTimeout(() => this.release(), timeoutMs),
    };
  }

  // Ends hiding: whatever was hidden goes out unchanged.
  release(): void {
    const hiding = this.hiding;
    if (!hiding) return;
    this.hiding = undefined;
    clearTimeout(hiding.timer);
    for (const chunk of hiding.chunks) this.sink.output(chunk);
  }

  get hidingOutput(): boolean {
    return this.hiding !== undefined;
  }

  private hold(bytes: Buffer, from: number, at: number): void {
    this.emit(bytes.subarray(from, at));
    this.held = Buffer.from(bytes.subarray(at));
    this.holdTimer = setTimeout(() => {
      const held = this.held;
      this.held = Buffer.alloc(0);
      this.emit(held);
    }, HOLD_MS);
  }

  private emit(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const hiding = this.hiding;
    if (!hiding) return this.sink.output(bytes);
    hiding.chunks.push(Buffer.from(bytes));
    hiding.bytes += bytes.length;
    if (hiding.bytes > MAX_HIDDEN) this.release();
  }

  private deliverMark(mark: ShellMark): void {
    const hiding = this.hiding;
    if (hiding && (mark.kind === hiding.until || (hiding.until === "C" && mark.kind === "D"))) {
      this.hiding = undefined;
      clearTimeout(hiding.timer);
      if (hiding.replacement.length > 0) this.sink.output(hiding.replacement);
    }
    this.sink.mark(mark);
  }

  // An OSC at `at`: our mark (with where it ends), "hold" if it may be one but
  // is incomplete, undefined if it is something else.
  private scanOsc(bytes: Buffer, at: number): { mark: ShellMark; end: number } | "hold" | undefined {
    const available = Math.min(OSC_PREFIX.length, bytes.length - at);
    if (bytes.compare(OSC_PREFIX, 0, available, at, at + available) !== 0) return undefined;
    if (available < OSC_PREFIX.length) return "hold";
    const bodyStart = at + OSC_PREFIX.length;
    const limit = Math.min(bytes.length, bodyStart + MAX_MARK);
    let end = -1;
    let termLength = 1;
    for (let i = bodyStart; i < limit; i++) {
      const byte = bytes[i];
      if (byte === 0x07) {
        end = i;
        break;
      }
      if (byte === 0x1b) {
        if (i + 1 >= bytes.length) return "hold";
        if (bytes[i + 1] === 0x5c) {
          end = i;
          termLength = 2;
        }
        break;
      }
    }
    if (end === -1) return limit === bytes.length && limit - bodyStart < MAX_MARK ? "hold" : undefined;
    const mark = parseMark(bytes.toString("latin1", bodyStart, end), this.nonce);
    return mark ? { mark, end: end + termLength } : undefined;
  }

  // ESC [ ? N h|l: the modes exec looks at.
  private scanMode(bytes: Buffer, at: number): void {
    if (!this.sink.mode) return;
    let i = at + 3;
    let value = 0;
    for (; i < bytes.length && i < at + 12; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x30 && byte <= 0x39) value = value * 10 + byte - 0x30;
      else break;
    }
    const final = bytes[i];
    if (final !== 0x68 && final !== 0x6c) return;
    if (value === 2004 || value === 1049 || value === 1047 || value === 47) this.sink.mode(value, final === 0x68);
  }
}

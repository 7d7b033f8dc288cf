// --plain, and the text patterns are matched against: what a user sees of the
// stream, as text. Escape sequences are removed whole (streaming, so one split
// across chunks still goes), CRLF (and CR runs before LF, as in node's
// \r\r\n) becomes LF, a lone CR (text rewritten from column 0) starts a new
// line unless one has just started, and no other C0 control byte (nor DEL)
// remains: only \n and \t.

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
const DEL = 0x7f;
const BS = 0x08;

type Mode = "text" | "escape" | "csi" | "string" | "stringEscape";

// A C1 control in UTF-8 is two bytes, C2 then the control (CSI is C2 9B); a
// lone 0x9B is only ever a continuation byte of another character (č is C4 8D,
// ě is C4 9B), so it is text.
const C1_LEAD = 0xc2;
const CSI_C1 = 0x9b;

export class PlainFilter {
  private mode: Mode = "text";
  private pendingCr = false;
  private atLineStart = true;
  // A C2 byte held back until the next byte says whether it starts CSI.
  private pendingLead = false;

  // keepOverwrites: a lone CR and BS stay as they are, for a caller that
  // resolves overwrites itself (resolveOverwrites).
  constructor(private readonly options: { keepOverwrites?: boolean } = {}) {}

  // Returns the printable part of chunk, carrying any unfinished sequence over.
  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 2);
    let n = 0;
    for (const byte of chunk) {
      if (this.mode !== "text") {
        this.mode = nextEscapeMode(this.mode, byte);
        continue;
      }
      if (this.pendingLead) {
        this.pendingLead = false;
        if (byte === CSI_C1) {
          this.mode = "csi";
          continue;
        }
        n = this.text(out, n, C1_LEAD);
      }
      if (byte === ESC) this.mode = "escape";
      else if (byte === C1_LEAD) this.pendingLead = true;
      else if (byte === CR) this.pendingCr = true;
      else if (byte === LF) {
        out[n++] = LF;
        this.pendingCr = false;
        this.atLineStart = true;
      } else if (byte === BS && this.options.keepOverwrites) {
        out[n++] = BS;
      } else if ((byte < 0x20 && byte !== TAB) || byte === DEL) {
        // Other controls (BS, BEL, SI/SO, ...) show nothing.
      } else n = this.text(out, n, byte);
    }
    return out.subarray(0, n);
  }

  // A text byte, after the line break a pending lone CR stands for.
  private text(out: Buffer, n: number, byte: number): number {
    if (this.pendingCr && this.options.keepOverwrites) out[n++] = CR;
    else if (this.pendingCr && !this.atLineStart) out[n++] = LF;
    this.pendingCr = false;
    this.atLineStart = false;
    out[n++] = byte;
    return n;
  }

  // A C2 held back at the very end is printed as it was; a CR at the very end
  // has nothing after it to start a line for.
  flush(): Buffer {
    const pending = Buffer.from(this.pendingLead ? [C1_LEAD] : []);
    this.pendingCr = false;
    this.pendingLead = false;
    this.mode = "text";
    return pending;
  }
}

// The whole of `bytes` as plain text.
export function plainText(bytes: Uint8Array): string {
  const filter = new PlainFilter();
  return Buffer.concat([filter.push(bytes), filter.flush()]).toString("utf8");
}

function nextEscapeMode(mode: Mode, byte: number): Mode {
  switch (mode) {
    case "escape":
      if (byte === 0x5b) return "csi"; // ESC [
      // OSC, DCS, SOS, PM, APC: strings that run to BEL or ESC \
      if (byte === 0x5d || byte === 0x50 || byte === 0x58 || byte === 0x5e || byte === 0x5f) return "string";
      if (byte >= 0x20 && byte <= 0x2f) return "escape"; // intermediates, as in ESC ( B
      return "text"; // the final byte of a short sequence such as ESC = or ESC 7
    case "csi":
      return byte >= 0x40 && byte <= 0x7e ? "text" : "csi";
    case "string":
      if (byte === BEL) return "text";
      return byte === ESC ? "stringEscape" : "string";
    case "stringEscape":
      // ESC \ ends the string; any other ESC ends it too and starts a sequence.
      return byte === 0x5c ? "text" : nextEscapeMode("escape", byte);
    default:
      return "text";
  }
}

// --plain: strip ANSI/OSC escape sequences and turn CRLF into LF. Streaming, so a
// sequence split across chunks is still removed whole.

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
const LF = 0x0a;

type Mode = "text" | "escape" | "csi" | "string" | "stringEscape";

// A C1 control in UTF-8 is two bytes, C2 then the control (CSI is C2 9B); a
// lone 0x9B is only ever a continuation byte of another character (č is C4 8D,
// ě is C4 9B), so it is text.
const C1_LEAD = 0xc2;
const CSI_C1 = 0x9b;

export class PlainFilter {
  private mode: Mode = "text";
  private pendingCr = false;
  // A C2 byte held back until the next byte says whether it starts CSI.
  private pendingLead = false;

  // Returns the printable part of chunk, carrying any unfinished sequence over.
  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
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
        out[n++] = C1_LEAD;
      }
      if (this.pendingCr) {
        this.pendingCr = false;
        if (byte !== LF) out[n++] = CR; // a lone CR stays; CRLF becomes LF
      }
      if (byte === ESC) this.mode = "escape";
      else if (byte === C1_LEAD) this.pendingLead = true;
      else if (byte === CR) this.pendingCr = true;
      else out[n++] = byte;
    }
    return out.subarray(0, n);
  }

  // A CR or C2 held back at the very end is printed as it was.
  flush(): Buffer {
    const pending = Buffer.from([...(this.pendingCr ? [CR] : []), ...(this.pendingLead ? [C1_LEAD] : [])]);
    this.pendingCr = false;
    this.pendingLead = false;
    this.mode = "text";
    return pending;
  }
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
      return byte === 0x5c ? "text" : "string";
    default:
      return "text";
  }
}

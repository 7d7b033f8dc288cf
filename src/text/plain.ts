// --plain: strip ANSI/OSC escape sequences and turn CRLF into LF. Streaming, so a
// sequence split across chunks is still removed whole.

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
const LF = 0x0a;

type Mode = "text" | "escape" | "csi" | "string" | "stringEscape";

export class PlainFilter {
  private mode: Mode = "text";
  private pendingCr = false;

  // Returns the printable part of chunk, carrying any unfinished sequence over.
  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    for (const byte of chunk) {
      if (this.mode !== "text") {
        this.mode = nextEscapeMode(this.mode, byte);
        continue;
      }
      if (this.pendingCr) {
        this.pendingCr = false;
        if (byte !== LF) out[n++] = CR; // a lone CR stays; CRLF becomes LF
      }
      if (byte === ESC) this.mode = "escape";
      else if (byte === 0x9b) this.mode = "csi";
      else if (byte === CR) this.pendingCr = true;
      else out[n++] = byte;
    }
    return out.subarray(0, n);
  }

  // A CR held back at the very end is printed as it was.
  flush(): Buffer {
    const pending = this.pendingCr ? Buffer.from([CR]) : Buffer.alloc(0);
    this.pendingCr = false;
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

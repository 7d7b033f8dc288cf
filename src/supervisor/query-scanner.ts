// Spots terminal queries (DA, DSR/CPR, DECRQM, XTVERSION, window reports,
// colour queries, DECRQSS/XTGETTCAP) in the output as it is captured, so the
// supervisor can bring the emulator up to date at once and let it answer.
// Cheap: only ESC bytes are looked at, and a sequence split across chunks is
// carried over (up to a bound) to the next one.
const ESC = 0x1b;
const MAX_CARRY = 512;

type Match = "query" | "other" | "partial";

// CSI: parameters, intermediates, final byte.
function matchCsi(bytes: Uint8Array, at: number): { match: Match; next: number } {
  let i = at;
  const prefix = bytes[i];
  let intermediate = 0;
  for (; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x20 && byte <= 0x2f) intermediate = byte;
    else if (byte >= 0x40 && byte <= 0x7e) {
      const final = String.fromCharCode(byte);
      const query =
        (final === "c" && intermediate === 0) || // DA1, DA2 (>), DA3 (=)
        (final === "n" && intermediate === 0) || // DSR 5n, 6n, ?6n, ...
        (final === "p" && intermediate === 0x24) || // DECRQM
        (final === "q" && prefix === 0x3e) || // XTVERSION
        (final === "t" && intermediate === 0); // window reports (14t, 16t, 18t)
      return { match: query ? "query" : "other", next: i + 1 };
    } else if (byte < 0x30 || byte > 0x3f) return { match: "other", next: i };
  }
  return { match: "partial", next: bytes.length };
}

// OSC/DCS: a string up to BEL or ST; a query asks with '?' (OSC) or $q / +q (DCS).
function matchString(bytes: Uint8Array, at: number, osc: boolean): { match: Match; next: number } {
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x07 || (byte === ESC && i + 1 < bytes.length)) {
      const body = Buffer.from(bytes.buffer, bytes.byteOffset + at, i - at).toString("latin1");
      const query = osc ? /^(4|1[0-9]);/.test(body) && body.includes("?") : /^[$+]q/.test(body);
      return { match: query ? "query" : "other", next: i + 1 };
    }
    if (byte === ESC) break;
  }
  return { match: "partial", next: bytes.length };
}

export class QueryScanner {
  private carry?: Uint8Array;

  // True when `chunk` completes at least one query.
  scan(chunk: Uint8Array): boolean {
    let bytes = chunk;
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let found = false;
    let at = bytes.indexOf(ESC);
    while (at !== -1) {
      if (at + 1 >= bytes.length) {
        this.carry = bytes.slice(at);
        break;
      }
      const kind = bytes[at + 1];
      const { match, next } =
        kind === 0x5b
          ? matchCsi(bytes, at + 2)
          : kind === 0x5d || kind === 0x50
            ? matchString(bytes, at + 2, kind === 0x5d)
            : { match: "other" as Match, next: at + 2 };
      if (match === "query") found = true;
      if (match === "partial") {
        if (bytes.length - at <= MAX_CARRY) this.carry = bytes.slice(at);
        break;
      }
      at = bytes.indexOf(ESC, Math.max(next, at + 1));
    }
    return found;
  }
}

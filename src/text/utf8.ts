// UTF-8 boundaries: a read must never end inside a character, or the text
// decoded from it would carry a U+FFFD that is not in the stream.

// How many bytes a lead byte announces (0 for a byte that cannot start a valid character).
export function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

// The number of trailing bytes of `tail` that form the incomplete start of a
// valid character (0 to 3): cutting them off leaves only whole characters.
export function incompleteUtf8Suffix(tail: Uint8Array): number {
  const last = Math.min(tail.length, 3);
  for (let back = 1; back <= last; back++) {
    const byte = tail[tail.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = sequenceLength(byte);
    return need > back ? back : 0;
  }
  return 0;
}

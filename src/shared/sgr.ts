// One screen row as text with SGR attributes: each change of attributes starts
// with a full reset (ESC[0;...m), so a row never depends on the one before, and
// a row with attributes ends with ESC[0m. Wide characters are written once
// (their second cell is skipped); trailing default blanks are left out.
import type { IBufferCell, IBufferLine } from "@xterm/headless";

function colour(cell: IBufferCell, foreground: boolean): string {
  const base = foreground ? 30 : 40;
  if (foreground ? cell.isFgRGB() : cell.isBgRGB()) {
    const rgb = foreground ? cell.getFgColor() : cell.getBgColor();
    return `;${base + 8};2;${(rgb >> 16) & 255};${(rgb >> 8) & 255};${rgb & 255}`;
  }
  if (foreground ? cell.isFgPalette() : cell.isBgPalette()) {
    const index = foreground ? cell.getFgColor() : cell.getBgColor();
    if (index < 8) return `;${base + index}`;
    if (index < 16) return `;${base + 60 + index - 8}`;
    return `;${base + 8};5;${index}`;
  }
  return "";
}

// The SGR parameters after the reset ("" for default attributes).
function attributes(cell: IBufferCell): string {
  let sgr = "";
  if (cell.isBold()) sgr += ";1";
  if (cell.isDim()) sgr += ";2";
  if (cell.isItalic()) sgr += ";3";
  if (cell.isUnderline()) sgr += ";4";
  if (cell.isBlink()) sgr += ";5";
  if (cell.isInverse()) sgr += ";7";
  if (cell.isInvisible()) sgr += ";8";
  if (cell.isStrikethrough()) sgr += ";9";
  if (cell.isOverline()) sgr += ";53";
  return sgr + colour(cell, true) + colour(cell, false);
}

export function serializeRow(line: IBufferLine, cols: number, cell: IBufferCell): string {
  // The row ends after its last cell that shows something (a character or a background).
  let last = -1;
  for (let x = 0; x < cols; x++) {
    line.getCell(x, cell);
    if (cell.getChars() !== "" || attributes(cell) !== "") last = x;
  }
  let out = "";
  let current = "";
  for (let x = 0; x <= last; x++) {
    line.getCell(x, cell);
    if (cell.getWidth() === 0) continue; // the second half of a wide character
    const sgr = attributes(cell);
    if (sgr !== current) {
      out += `\x1b[0${sgr}m`;
      current = sgr;
    }
    out += cell.getChars() || " ";
  }
  return current === "" ? out : `${out}\x1b[0m`;
}

/**
 * Markdown tables for the README's generated sections, laid out exactly as Prettier lays them
 * out (columns padded to their widest cell), so `prettier --check` leaves a generated table as it is.
 */

/** Display width as Prettier measures it for the text we write (no wide or combining characters). */
const width = (text: string) => [...text].length;

/** Escapes a cell: a `|` would end the cell. */
export const cell = (text: string) => text.replace(/\|/g, "\\|");

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i]))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + " ".repeat(widths[i] - width(c))).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

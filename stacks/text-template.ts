/**
 * A text with marked places (sentinel strings) that are filled by plain substitution: the text is
 * split once at every occurrence of a marker, and `fill` joins the parts with the values. A value
 * is never scanned again, so a value containing a marker (or another value) is inserted as is.
 *
 * Pure, no cdktf: the fast synth (stamped-synth.ts) stamps member stacks out of one synthesized
 * stack per shape with it.
 */

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class TextTemplate {
  /** `parts[0] value parts[1] value … parts[n]`, with `slots[i]` the marker index of the i-th value. */
  private readonly parts: string[] = [];
  private readonly slots: number[] = [];

  /**
   * @param markers the sentinel strings, none empty, none a substring of another (an occurrence
   * must name one marker only)
   */
  constructor(
    readonly text: string,
    readonly markers: readonly string[],
  ) {
    if (markers.length === 0) throw new Error('TextTemplate: no markers');
    for (const m of markers) {
      if (m === '') throw new Error('TextTemplate: a marker is empty');
      const other = markers.find((o) => o !== m && o.includes(m));
      if (other !== undefined || markers.indexOf(m) !== markers.lastIndexOf(m)) {
        throw new Error(`TextTemplate: marker ${JSON.stringify(m)} is ${other === undefined ? 'listed twice' : `inside marker ${JSON.stringify(other)}`}`);
      }
    }
    const pattern = new RegExp(markers.map(escapeRegExp).join('|'), 'g');
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      this.parts.push(text.slice(last, match.index));
      this.slots.push(markers.indexOf(match[0]));
      last = match.index + match[0].length;
    }
    this.parts.push(text.slice(last));
  }

  /** How many times each marker occurs, in `markers` order. */
  get occurrences(): number[] {
    const counts = this.markers.map(() => 0);
    for (const s of this.slots) counts[s]!++;
    return counts;
  }

  /** The text with every occurrence of `markers[i]` replaced by `values[i]`. */
  fill(values: readonly string[]): string {
    if (values.length !== this.markers.length) throw new Error(`TextTemplate.fill: ${values.length} values for ${this.markers.length} markers`);
    let out = this.parts[0]!;
    for (let i = 0; i < this.slots.length; i++) out += values[this.slots[i]!]! + this.parts[i + 1]!;
    return out;
  }
}

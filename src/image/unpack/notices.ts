// Things worth telling the user about a layer that are not reasons to fail
// it: a device node skipped, an attribute the kernel refused. A layer can
// hold thousands of them (every file labelled with security.selinux, say), so
// each kind is said once, with a count and the first few entries.

const EXAMPLES = 3;

export class Notices {
  private readonly kinds = new Map<string, { count: number; examples: string[] }>();
  private readonly sentences = new Set<string>();

  /** LAYER names the layer in every notice: "layer sha256:…". */
  constructor(private readonly layer: string) {}

  /** ENTRY is one more case of WHAT, e.g. "device nodes skipped: …". */
  add(what: string, entry: string): void {
    const kind = this.kinds.get(what) ?? { count: 0, examples: [] };
    kind.count++;
    if (kind.examples.length < EXAMPLES) kind.examples.push(entry);
    this.kinds.set(what, kind);
  }

  /** A notice about the whole layer, said once however often it is reported. */
  once(sentence: string): void {
    this.sentences.add(sentence);
  }

  list(): string[] {
    const counted = [...this.kinds].map(([what, { count, examples }]) => {
      const more = count > examples.length ? ', …' : '';
      return `${this.layer}: ${what} (${count === 1 ? '' : `${count} entries: `}${examples.join(', ')}${more})`;
    });
    return [...[...this.sentences].map((sentence) => `${this.layer} ${sentence}`), ...counted];
  }
}

// A read's balances as the history keeps them. The history of a running world holds tens of
// thousands of reads (a fifth of the operations), each with every account of its cell: held as
// they arrive, their fields were boxed doubles (V8 "Double" field representation: a 16-byte heap
// number per account per read, ~1 KB a read; heap snapshot, docs/BENCHMARKS.md "soak, session 6").
// Copied into a clone of a per-cell template whose fields start as null (V8's "Tagged"
// representation: a small integer inline, any other number shared, never re-boxed), a read takes
// ~0.5 KB. The value is the same JSON: same keys in the same order, same numbers.

interface Template {
  readonly keys: readonly string[];
  readonly object: Record<string, number | null>;
}

export class CompactBalances {
  private readonly templates = new Map<string, Template>();

  of(cell: string, balances: Readonly<Record<string, number>>): Record<string, number> {
    const keys = Object.keys(balances);
    let template = this.templates.get(cell);
    if (template === undefined || !sameKeys(template.keys, keys)) {
      template = { keys, object: Object.fromEntries(keys.map((key) => [key, null])) };
      this.templates.set(cell, template);
    }
    const copy = { ...template.object } as Record<string, number>;
    for (const key of keys) {
      const value = balances[key] as number;
      // An integer in int32 range as a small integer (inline); anything else as it is.
      copy[key] = value === (value | 0) ? value | 0 : value;
    }
    return copy;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Strongly connected components of a directed graph given as its nodes and an edge function: pure,
 * no I/O. The history budget (central/history-budget.ts) finds the loops of a state machine with it,
 * and the import-cycle test (__tests__/support/import-graph.ts) the cycles of the module graph.
 */

/** Strongly connected components (Tarjan), each as its member list; a component comes after every component it reaches. */
export function componentsOf(nodes: readonly string[], out: (n: string) => readonly string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of out(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      found.push(scc.reverse());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return found;
}

/** Cycles: components with more than one node, or one node that goes to itself. */
export function cyclesOf(nodes: readonly string[], out: (n: string) => readonly string[]): string[][] {
  return componentsOf(nodes, out).filter((scc) => scc.length > 1 || out(scc[0]!).includes(scc[0]!));
}

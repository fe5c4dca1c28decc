/** One line of a line diff: kept, added in the newer text, or removed from the older one. */
export interface DiffLine {
  op: 'equal' | 'added' | 'removed';
  text: string;
  /** 1-based line in the older text (null for added lines). */
  fromLine: number | null;
  /** 1-based line in the newer text (null for removed lines). */
  toLine: number | null;
}

/**
 * A line diff by longest common subsequence (O(n·m) cells; templates are capped in size, so this
 * stays small). Lines common to both texts come out `equal`, in order.
 */
export function lineDiff(from: string, to: string): DiffLine[] {
  const a = from.split('\n');
  const b = to.split('\n');
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] =
        a[i] === b[j]
          ? (lcs[at(i + 1, j + 1)] ?? 0) + 1
          : Math.max(lcs[at(i + 1, j)] ?? 0, lcs[at(i, j + 1)] ?? 0);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: 'equal', text: a[i] as string, fromLine: i + 1, toLine: j + 1 });
      i++;
      j++;
    } else if (i < n && (j >= m || (lcs[at(i + 1, j)] ?? 0) >= (lcs[at(i, j + 1)] ?? 0))) {
      // Removals before additions, as unified diffs print them.
      out.push({ op: 'removed', text: a[i] as string, fromLine: i + 1, toLine: null });
      i++;
    } else {
      out.push({ op: 'added', text: b[j] as string, fromLine: null, toLine: j + 1 });
      j++;
    }
  }
  return out;
}

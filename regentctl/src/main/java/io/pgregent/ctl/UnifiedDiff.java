package io.pgregent.ctl;

import java.util.ArrayList;
import java.util.List;

/** A unified diff of two texts by lines (longest common subsequence), three lines of context. */
final class UnifiedDiff {

  private UnifiedDiff() {}

  static String diff(String before, String after, String fromName, String toName) {
    List<String> a = List.of(before.split("\n", -1));
    List<String> b = List.of(after.split("\n", -1));
    int n = a.size();
    int m = b.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] =
            a.get(i).equals(b.get(j))
                ? lcs[i + 1][j + 1] + 1
                : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    // ops: ' ' keep, '-' remove, '+' add, with positions in a and b
    List<char[]> ops = new ArrayList<>();
    List<int[]> pos = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a.get(i).equals(b.get(j))) {
        ops.add(new char[] {' '});
        pos.add(new int[] {i++, j++});
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        ops.add(new char[] {'-'});
        pos.add(new int[] {i++, j});
      } else {
        ops.add(new char[] {'+'});
        pos.add(new int[] {i, j++});
      }
    }
    StringBuilder out = new StringBuilder();
    int k = 0;
    boolean header = false;
    while (k < ops.size()) {
      if (ops.get(k)[0] == ' ') {
        k++;
        continue;
      }
      int start = Math.max(0, k - 3);
      int end = k;
      // extend the hunk while changes are within 6 lines of each other
      int last = k;
      while (end < ops.size()) {
        if (ops.get(end)[0] != ' ') {
          last = end;
        } else if (end - last > 6) {
          break;
        }
        end++;
      }
      end = Math.min(ops.size(), last + 4);
      if (!header) {
        out.append("--- ").append(fromName).append('\n');
        out.append("+++ ").append(toName).append('\n');
        header = true;
      }
      int aStart = pos.get(start)[0];
      int bStart = pos.get(start)[1];
      int aLen = 0;
      int bLen = 0;
      StringBuilder body = new StringBuilder();
      for (int x = start; x < end; x++) {
        char op = ops.get(x)[0];
        int[] p = pos.get(x);
        if (op == ' ') {
          body.append(' ').append(a.get(p[0])).append('\n');
          aLen++;
          bLen++;
        } else if (op == '-') {
          body.append('-').append(a.get(p[0])).append('\n');
          aLen++;
        } else {
          body.append('+').append(b.get(p[1])).append('\n');
          bLen++;
        }
      }
      out.append("@@ -")
          .append(aStart + 1)
          .append(',')
          .append(aLen)
          .append(" +")
          .append(bStart + 1)
          .append(',')
          .append(bLen)
          .append(" @@\n")
          .append(body);
      k = end;
    }
    return out.toString();
  }
}

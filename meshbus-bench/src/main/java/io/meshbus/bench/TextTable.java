package io.meshbus.bench;

import java.util.List;

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned, two spaces apart. */
public final class TextTable {
    private TextTable() {
    }

    /** Appends {@code rows} (the first is the header) to {@code sb}, one line each. */
    public static void append(StringBuilder sb, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                String cell = r[c];
                String pad = " ".repeat(w[c] - cell.length());
                line.append(c == 0 ? cell + pad : "  " + pad + cell);
            }
            sb.append(line.toString().stripTrailing()).append(System.lineSeparator());
        }
    }
}

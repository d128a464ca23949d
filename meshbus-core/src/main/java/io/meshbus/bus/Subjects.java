package io.meshbus.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * Subject syntax: dot-separated non-empty tokens. In a pattern, {@code *} stands for exactly one token and {@code >}
 * (last token only) for one or more tokens, as in NATS.
 */
public final class Subjects {
    private Subjects() {
    }

    /** Splits a subject or pattern into tokens, checking the syntax; throws IllegalArgumentException naming why. */
    public static String[] tokens(String subject, boolean pattern) {
        if (subject == null || subject.isEmpty()) {
            throw new IllegalArgumentException("subject: must not be empty");
        }
        List<String> out = new ArrayList<>(8);
        int start = 0;
        for (int i = 0; i <= subject.length(); i++) {
            if (i == subject.length() || subject.charAt(i) == '.') {
                if (i == start) {
                    throw new IllegalArgumentException("subject: '" + subject + "' has an empty token");
                }
                String t = subject.substring(start, i);
                if (!pattern && (t.equals("*") || t.equals(">"))) {
                    throw new IllegalArgumentException("subject: '" + subject
                            + "' is a pattern; publish to a concrete subject");
                }
                if (t.equals(">") && i != subject.length()) {
                    throw new IllegalArgumentException("subject: '" + subject + "': '>' must be the last token");
                }
                out.add(t);
                start = i + 1;
            }
        }
        return out.toArray(new String[0]);
    }

    /** Whether a concrete subject matches a pattern (for one-off checks; indexes use {@link SubjectIndex}). */
    public static boolean matches(String pattern, String subject) {
        String[] p = tokens(pattern, true);
        String[] s = tokens(subject, false);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length || !p[i].equals("*") && !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    /**
     * Whether a peer id, read as a dotted subject, matches a pattern's tokens; ids that are not subjects never match.
     * Allocates nothing: it runs once per local peer for each pattern send.
     */
    public static boolean idMatches(String[] pattern, String id) {
        int at = 0;
        for (int i = 0; i < pattern.length; i++) {
            if (at > id.length()) {
                return false;
            }
            int end = id.indexOf('.', at);
            if (end < 0) {
                end = id.length();
            }
            if (end == at) {
                return false;
            }
            String t = pattern[i];
            if (t.equals(">")) {
                return true;
            }
            if (!t.equals("*") && !id.regionMatches(at, t, 0, Math.max(t.length(), end - at))) {
                return false;
            }
            at = end + 1;
        }
        return at > id.length();
    }
}

package io.meshbus.message;

import java.util.Locale;

/** The verbs a routed message can carry. A message without a verb is a {@link #GET}, as in distro. */
public enum Verb {
    HEAD, GET, POST, PUT, PATCH, DELETE;

    /** Parses a verb case-insensitively; null or blank means GET; {@code "del"} is DELETE, as distro named it. */
    public static Verb parse(String text) {
        if (text == null || text.isBlank()) {
            return GET;
        }
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.equals("DEL")) {
            return DELETE;
        }
        try {
            return valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("verb: '" + text
                    + "' is not one of HEAD, GET, POST, PUT, PATCH, DELETE");
        }
    }
}

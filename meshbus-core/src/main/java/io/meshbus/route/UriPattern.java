package io.meshbus.route;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A URI pattern: {@code /orders} (exact), {@code /orders/{id}} (a parameter per segment), {@code /files/*} (a trailing
 * wildcard: any number of further segments, captured as parameter {@code *}). Matching ignores case, as distro did,
 * and a trailing slash; captured values keep their case.
 */
final class UriPattern {
    private final String text;
    private final String[] segments;
    private final boolean wildcard;

    UriPattern(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("uriPattern: must not be empty");
        }
        this.text = pattern;
        List<String> segs = split(pattern.toLowerCase(Locale.ROOT));
        boolean w = !segs.isEmpty() && segs.get(segs.size() - 1).equals("*");
        if (w) {
            segs.remove(segs.size() - 1);
        }
        for (String s : segs) {
            if (s.equals("*")) {
                throw new IllegalArgumentException("uriPattern: '" + pattern + "': '*' only as the last segment");
            }
        }
        this.segments = segs.toArray(new String[0]);
        this.wildcard = w;
    }

    static List<String> split(String uri) {
        List<String> out = new ArrayList<>();
        for (String s : uri.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The captured parameters when the URI matches, else null. */
    Map<String, String> match(List<String> uriSegments) {
        if (uriSegments.size() < segments.length || !wildcard && uriSegments.size() != segments.length) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < segments.length; i++) {
            String p = segments[i];
            String u = uriSegments.get(i);
            if (p.length() > 2 && p.charAt(0) == '{' && p.charAt(p.length() - 1) == '}') {
                if (params == null) {
                    params = new LinkedHashMap<>();
                }
                params.put(p.substring(1, p.length() - 1), u);
            } else if (!p.equalsIgnoreCase(u)) {
                return null;
            }
        }
        if (wildcard) {
            if (params == null) {
                params = new LinkedHashMap<>();
            }
            params.put("*", String.join("/", uriSegments.subList(segments.length, uriSegments.size())));
        }
        return params == null ? Collections.emptyMap() : params;
    }

    @Override
    public String toString() {
        return text;
    }
}

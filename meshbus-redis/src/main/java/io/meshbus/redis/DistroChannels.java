package io.meshbus.redis;

import io.meshbus.message.Verb;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Redis channel names of the distro transport under one namespace {@code NS}:
 * <ul>
 * <li>{@code NS:route:VERB:/uri} — one channel per verb (upper-cased) and URI (segments lower-cased, empty ones and a
 *     trailing slash dropped, as the router matches them);</li>
 * <li>{@code NS:unrouted} — where a client re-publishes a message that no route channel subscriber took, so a server
 *     still answers (NOT_FOUND, or the handler of a route it registered on its router directly);</li>
 * <li>{@code NS:reply:ID} — each client's channel for RECEIVED confirmations and responses.</li>
 * </ul>
 */
final class DistroChannels {
    final String namespace;
    final String unrouted;
    private final String routePrefix;
    private final String replyPrefix;

    DistroChannels(String namespace) {
        this.namespace = namespace;
        this.unrouted = namespace + ":unrouted";
        this.routePrefix = namespace + ":route:";
        this.replyPrefix = namespace + ":reply:";
    }

    String route(Verb verb, String uri) {
        return routePrefix + verb.name() + ":/" + String.join("/", segments(uri));
    }

    String reply(String clientId) {
        return replyPrefix + clientId;
    }

    /** Servers answer only on reply channels of their namespace: a record cannot make them publish elsewhere. */
    boolean isReply(String channel) {
        return channel.startsWith(replyPrefix) && channel.length() > replyPrefix.length();
    }

    /** The pattern of a catch-all ({@code receive}) handler: every route channel of the namespace, nothing else. */
    String catchAll() {
        return RedisNames.globEscape(routePrefix) + "*";
    }

    /** What a server subscribes to for one route: exact channels and, only for wildcard routes, patterns. */
    record Subscriptions(List<String> channels, List<String> patterns) {
    }

    /**
     * Translates a route of the router's syntax (see {@code UriPattern}: exact segments, {@code {name}} for one
     * segment, a trailing {@code *} for any further segments including none) into subscriptions. Literal segments
     * are glob-escaped, so {@code * ? [} in a URI never widen a pattern. Redis's {@code *} also crosses {@code /}, so
     * a {@code {name}} pattern can deliver more than the route matches: the router decides, and answers NOT_FOUND.
     */
    Subscriptions forRoute(Verb verb, String uriPattern) {
        String base = routePrefix + verb.name() + ":";
        List<String> segs = segments(uriPattern);
        boolean wildcard = !segs.isEmpty() && segs.get(segs.size() - 1).equals("*");
        if (wildcard) {
            segs.remove(segs.size() - 1);
        }
        List<String> channels = new ArrayList<>();
        List<String> patterns = new ArrayList<>();
        String escapedBase = RedisNames.globEscape(base);
        if (segs.isEmpty()) {
            if (wildcard) {
                patterns.add(escapedBase + "/*");
            } else {
                channels.add(base + "/");
            }
            return new Subscriptions(channels, patterns);
        }
        StringBuilder glob = new StringBuilder(escapedBase);
        boolean params = false;
        for (String s : segs) {
            glob.append('/');
            if (isParam(s)) {
                params = true;
                glob.append('*');
            } else {
                glob.append(RedisNames.globEscape(s));
            }
        }
        if (params) {
            patterns.add(glob.toString());
        } else {
            channels.add(base + "/" + String.join("/", segs));
        }
        // A parameter as the last segment already crosses '/' in Redis's glob, so the deeper pattern would only
        // deliver each message twice.
        if (wildcard && !isParam(segs.get(segs.size() - 1))) {
            patterns.add(glob + "/*");
        }
        return new Subscriptions(channels, patterns);
    }

    private static boolean isParam(String s) {
        return s.length() > 2 && s.charAt(0) == '{' && s.charAt(s.length() - 1) == '}';
    }

    /** The router's view of a URI: lower-cased, split on '/', empty segments dropped. */
    static List<String> segments(String uri) {
        List<String> out = new ArrayList<>();
        for (String s : uri.toLowerCase(Locale.ROOT).split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }
}

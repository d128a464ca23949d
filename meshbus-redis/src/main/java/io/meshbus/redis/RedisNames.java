package io.meshbus.redis;

import io.meshbus.bus.Subjects;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every name a Redis backplane uses on the server, under its namespace {@code NS} (see {@link RedisBackplane} for
 * what each holds): {@code NS:inbox:HOST}, {@code NS:host:HOST}, {@code NS:ch:SUBJECT}, {@code NS:dir} and
 * {@code NS:hosts}; and how a subject pattern becomes a Redis glob without its literal parts widening it.
 *
 * <p>Threads: immutable but for the inbox memo (concurrent, one entry per host addressed); any thread.
 */
final class RedisNames {
    private final String namespace;
    private final byte[] hostsChannel;
    private final byte[] channelPrefix;
    private final String hostKeyPrefix;
    private final byte[] directoryKey;
    private final ConcurrentHashMap<String, byte[]> inboxes = new ConcurrentHashMap<>();

    RedisNames(String namespace) {
        this.namespace = namespace;
        this.hostsChannel = bytes(namespace + ":hosts");
        this.channelPrefix = bytes(namespace + ":ch:");
        this.hostKeyPrefix = namespace + ":host:";
        this.directoryKey = bytes(namespace + ":dir");
    }

    /** The pub/sub channel a host reads its messages from. */
    byte[] inbox(String host) {
        return inboxes.computeIfAbsent(host, h -> bytes(namespace + ":inbox:" + h));
    }

    /** Where hosts announce arrival and departure. */
    byte[] hostsChannel() {
        return hostsChannel;
    }

    boolean isHostsChannel(byte[] channel) {
        return Arrays.equals(channel, hostsChannel);
    }

    /** The channel a subject is published on. */
    byte[] channel(String subject) {
        return bytes(namespace + ":ch:" + subject);
    }

    /** The subject of a channel name, or null when it is not one of this namespace's channels. */
    String subjectOf(byte[] channel) {
        if (channel.length < channelPrefix.length
                || !Arrays.equals(channel, 0, channelPrefix.length, channelPrefix, 0, channelPrefix.length)) {
            return null;
        }
        return new String(channel, channelPrefix.length, channel.length - channelPrefix.length,
                StandardCharsets.UTF_8);
    }

    /**
     * The glob a pattern subscribes with, or null when it has no wildcard (an exact SUBSCRIBE then). Literal tokens
     * are escaped; {@code *} and {@code >} become {@code *}, which also crosses dots, so the glob may match more
     * than the pattern (the host filters).
     */
    String glob(String pattern) {
        String[] tokens = Subjects.tokens(pattern, true);
        StringBuilder b = new StringBuilder(globEscape(namespace + ":ch:"));
        boolean wild = false;
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) {
                b.append('.');
            }
            if (tokens[i].equals("*") || tokens[i].equals(">")) {
                b.append('*');
                wild = true;
            } else {
                b.append(globEscape(tokens[i]));
            }
        }
        return wild ? b.toString() : null;
    }

    /** The key holding a host's incarnation while it lives. */
    byte[] hostKey(String host) {
        return bytes(hostKeyPrefix + host);
    }

    /** The SCAN pattern of every host key. */
    String hostKeys() {
        return globEscape(hostKeyPrefix) + "*";
    }

    /** The host a key of {@link #hostKeys()} belongs to. */
    String hostOfKey(byte[] key) {
        return new String(key, StandardCharsets.UTF_8).substring(hostKeyPrefix.length());
    }

    /** The peer directory hash. */
    byte[] directoryKey() {
        return directoryKey;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A glob that matches the text literally: Redis's MATCH treats * ? [ ] and \ as pattern characters. */
    static String globEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}

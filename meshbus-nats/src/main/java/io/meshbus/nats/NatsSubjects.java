package io.meshbus.nats;

import io.meshbus.bus.Subjects;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every subject a NATS backplane uses, under its namespace {@code NS} (see {@link NatsBackplane} for what each
 * carries): {@code NS.inbox.HOST}, {@code NS.ch.SUBJECT}, {@code NS.hosts} and {@code NS.nr.HOST.TARGET} (where the
 * server's no-responders answers for messages to TARGET come back). Every id or subject token that is not a plain
 * NATS token is written as {@code ~} and its UTF-8 in hex, so no id can reach another's subject.
 *
 * <p>Threads: immutable but for the inbox memo (concurrent, one entry per host addressed); any thread.
 */
final class NatsSubjects {
    private final String namespace;
    private final String hosts;
    private final ConcurrentHashMap<String, String> inboxes = new ConcurrentHashMap<>();

    NatsSubjects(String namespace) {
        this.namespace = namespace;
        this.hosts = namespace + ".hosts";
    }

    /** Heartbeats and goodbyes. */
    String hosts() {
        return hosts;
    }

    String inbox(String host) {
        return inboxes.computeIfAbsent(host, h -> namespace + ".inbox." + token(h));
    }

    /**
     * The subject of a channel subject or, with {@code pattern}, of a subscription pattern: token by token, so NATS
     * matches {@code *} and {@code >} exactly as the host would, and nothing more.
     */
    String channel(String subject, boolean pattern) {
        String[] tokens = Subjects.tokens(subject, pattern);
        StringBuilder b = new StringBuilder(namespace).append(".ch");
        for (String t : tokens) {
            b.append('.').append(t.equals("*") || t.equals(">") ? t : token(t));
        }
        return b.toString();
    }

    /** Where a host's no-responders answers arrive: this prefix, then the target host's token. */
    String noRespondersPrefix(String host) {
        return namespace + ".nr." + token(host) + ".";
    }

    /** A subject token that names exactly this id: plain ids as they are, others hex-encoded behind {@code ~}. */
    static String token(String id) {
        boolean plain = !id.isEmpty();
        for (int i = 0; i < id.length() && plain; i++) {
            char c = id.charAt(i);
            plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
        }
        if (plain) {
            return id;
        }
        StringBuilder b = new StringBuilder("~");
        for (byte x : id.getBytes(StandardCharsets.UTF_8)) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }
}

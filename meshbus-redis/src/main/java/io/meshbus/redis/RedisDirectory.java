package io.meshbus.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer directory held by Redis: {@code NS:dir}, a hash from peer id to {@code INCARNATION HOST}. Only entries of
 * a live host's current incarnation are answers; an entry of an older incarnation, or of a host whose liveness key
 * expired (it crashed), is removed by the lookup that meets it, so the directory cleans itself as it is read. An
 * entry is removed only while it still says what its remover expects: a peer re-created on another host meanwhile
 * keeps its new entry.
 *
 * <p>Threads: any thread; every command is asynchronous, on the backplane's control connection (never behind a burst
 * of publishes).
 */
final class RedisDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(RedisDirectory.class);
    private static final String FORGET_IF_STILL = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
            + "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

    private final RedisNames names;
    private final StatefulRedisConnection<byte[], byte[]> ctl;
    private final String hostId;
    private final long incarnation;
    private final byte[] ownEntry;
    private final Function<String, Long> knownIncarnation;
    private final LongAdder malformed;
    private final LongAdder failures = new LongAdder();

    /**
     * @param knownIncarnation the incarnation of a host this one knows alive, or null
     * @param malformed        counts entries that are not {@code INCARNATION HOST}
     */
    RedisDirectory(RedisNames names, StatefulRedisConnection<byte[], byte[]> ctl, String hostId, long incarnation,
                   Function<String, Long> knownIncarnation, LongAdder malformed) {
        this.names = names;
        this.ctl = ctl;
        this.hostId = hostId;
        this.incarnation = incarnation;
        this.ownEntry = RedisNames.bytes(incarnation + " " + hostId);
        this.knownIncarnation = knownIncarnation;
        this.malformed = malformed;
    }

    /** Registrations and removals Redis did not take (logged; the entry is then missing or stale). */
    long failures() {
        return failures.sum();
    }

    void register(String peerId) {
        ctl.async().hset(names.directoryKey(), RedisNames.bytes(peerId), ownEntry)
                .whenComplete((v, e) -> failed(e, "register", peerId));
    }

    void unregister(String peerId) {
        forgetIfStill(peerId, ownEntry).whenComplete((v, e) -> failed(e, "unregister", peerId));
    }

    /** The host that has the peer, or null; stale entries met on the way are removed. */
    CompletableFuture<String> lookup(String peerId) {
        return ctl.async().hget(names.directoryKey(), RedisNames.bytes(peerId)).toCompletableFuture().thenCompose(v -> {
            if (v == null) {
                return CompletableFuture.completedFuture(null);
            }
            String entry = new String(v, StandardCharsets.UTF_8);
            int sp = entry.indexOf(' ');
            long inc;
            try {
                inc = Long.parseLong(entry, 0, Math.max(sp, 0), 10);
            } catch (NumberFormatException e) {
                malformed.increment();
                return forgetIfStill(peerId, v).thenApply(n -> null);
            }
            String host = entry.substring(sp + 1);
            Long known = host.equals(hostId) ? Long.valueOf(incarnation) : knownIncarnation.apply(host);
            if (known != null) {
                return known == inc ? CompletableFuture.completedFuture(host)
                        : forgetIfStill(peerId, v).thenApply(n -> null);
            }
            return ctl.async().exists(names.hostKey(host)).toCompletableFuture()
                    .thenCompose(n -> n != null && n > 0 ? CompletableFuture.completedFuture(host)
                            : forgetIfStill(peerId, v).thenApply(x -> null));
        });
    }

    /** Removes the entry only if it still says {@code value}. */
    private CompletableFuture<Long> forgetIfStill(String peerId, byte[] value) {
        return ctl.async().<Long>eval(FORGET_IF_STILL, ScriptOutputType.INTEGER, new byte[][] {names.directoryKey()},
                RedisNames.bytes(peerId), value).toCompletableFuture();
    }

    private void failed(Throwable e, String what, String peerId) {
        if (e != null) {
            failures.increment();
            LOG.warn("redis backplane {}: could not {} peer {}: {}", hostId, what, peerId, e.toString());
        }
    }
}

package io.meshbus.message;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Generates message ids: random version-4 UUIDs. {@code UUID.randomUUID()} draws from {@code SecureRandom}, which
 * costs far more than a message send; ids need uniqueness, not secrecy, so a thread-local generator does.
 */
public final class MessageIds {
    private MessageIds() {
    }

    public static UUID next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
        long lsb = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }
}

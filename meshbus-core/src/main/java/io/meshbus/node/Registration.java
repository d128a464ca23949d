package io.meshbus.node;

/** Removes the listener it was returned for; idempotent. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
    @Override
    void close();
}

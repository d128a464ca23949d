package io.meshbus.bench.peers;

import io.meshbus.bench.TwoJvmContender;

/**
 * A library under comparison: its child side is one server that either echoes or counts, so a peer says only how
 * to {@link #serve}.
 */
abstract class PeerContender extends TwoJvmContender {
    PeerContender(String name) {
        super(name);
    }

    /** The child's server for {@code size}-byte messages: echoing each back, or counting them. */
    abstract ChildServer serve(int size, boolean echo) throws Exception;

    @Override
    public final ChildServer echo(int size) throws Exception {
        return serve(size, true);
    }

    @Override
    public final ChildServer sink(int size) throws Exception {
        return serve(size, false);
    }
}

package io.meshbus.bus;

/**
 * The queue of one consumer (a peer or a subscription): how many messages may wait for its listeners, and what a
 * full queue does ({@link SlowConsumerPolicy}). The host's default is {@link HostOptions.Builder#peerQueue}; a peer
 * or a subscription can have its own: {@link Host#create(String, ConsumerOptions)},
 * {@link Host#subscribe(String, String, PeerListener, ConsumerOptions)}.
 *
 * @param capacity messages waiting for the listeners, at least 1 (the one running is not counted)
 * @param policy   what a full queue does
 * @param mayBlock the listeners may block: they run on the executor even on a host that delivers on its I/O threads
 *                 ({@link HostOptions.Builder#deliverOnIoThread}); without that option it changes nothing
 */
public record ConsumerOptions(int capacity, SlowConsumerPolicy policy, boolean mayBlock) {
    /** 65,536 messages, {@link SlowConsumerPolicy#BACK_PRESSURE}, never blocks. */
    public static final ConsumerOptions DEFAULT = new ConsumerOptions(65_536, SlowConsumerPolicy.BACK_PRESSURE, false);

    public ConsumerOptions {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: must be at least 1, was " + capacity);
        }
        if (policy == null) {
            throw new IllegalArgumentException("policy: must not be null");
        }
    }

    public ConsumerOptions(int capacity, SlowConsumerPolicy policy) {
        this(capacity, policy, false);
    }

    public static ConsumerOptions of(int capacity, SlowConsumerPolicy policy) {
        return new ConsumerOptions(capacity, policy, false);
    }

    /** The same queue, for listeners that may block (true) or promise not to (false). */
    public ConsumerOptions mayBlock(boolean blocks) {
        return new ConsumerOptions(capacity, policy, blocks);
    }
}

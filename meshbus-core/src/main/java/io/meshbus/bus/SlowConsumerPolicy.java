package io.meshbus.bus;

/**
 * What a peer's or a subscription's full queue does with one more message (see {@link ConsumerOptions}). Whatever
 * the policy, a confirmed send or a request whose message is dropped or refused fails with
 * {@link io.meshbus.error.BackPressureException}, and what is lost is counted in {@link Host#metrics()}:
 * {@code slowConsumerDropped}, {@code slowConsumerRefused}, {@code slowConsumersFailed}, {@code inboundPauses}.
 */
public enum SlowConsumerPolicy {
    /**
     * The default. A message that came over a link is always taken; when the queue is full, the host stops reading
     * from the host that brought it (TCP pushes back on the sender) until the queue drains to half its capacity, so
     * nothing is lost. The queue can therefore hold more than its capacity: what those links had already read, at
     * most their {@code inboundLimit} each. The pause is per link: every message from that host waits meanwhile,
     * acknowledgements included. On a backplane a broker cannot be told to stop: this acts as {@link #DROP_NEWEST}.
     * Senders on the same host are refused instead: a confirmed send or a request fails, {@code sendAndForget}
     * returns {@link io.meshbus.node.SendStatus#BACK_PRESSURED}, a publish is counted as refused.
     */
    BACK_PRESSURE,
    /** The oldest queued message is dropped to make room for the new one. */
    DROP_OLDEST,
    /** The new message is dropped; what is queued stays. */
    DROP_NEWEST,
    /**
     * The slow consumer is cut off: a peer is removed from its host (as {@link Host#remove(Peer)}), a subscription
     * ends (as {@link Subscription#unsubscribe()}); its queued messages and the new one are dropped.
     */
    FAIL
}

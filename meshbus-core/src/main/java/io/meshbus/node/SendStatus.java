package io.meshbus.node;

/**
 * What {@link Node#send(String, io.meshbus.message.Message)} did with a message, returned at once instead of a future
 * so the fire-and-forget path allocates nothing (Aeron's {@code offer()} style).
 */
public enum SendStatus {
    /** Queued on a live link; it goes out in the next write. */
    SENT,
    /** The node is connecting or reconnecting; the message waits in its bounded queue. */
    QUEUED,
    /** The queue is full and its policy is {@link OverflowPolicy#FAIL}: nothing was queued; retry later. */
    BACK_PRESSURED,
    /** No node with that id is connected, connecting or awaited. */
    NOT_CONNECTED,
    /** This node is closed. */
    CLOSED;

    /** True when the message was taken (it will be written, or fail later only if its node is given up). */
    public boolean accepted() {
        return this == SENT || this == QUEUED;
    }
}

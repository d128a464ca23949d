package io.meshbus.node;

/** What a full send queue does with one more message. */
public enum OverflowPolicy {
    /** Refuse the new message: {@link SendStatus#BACK_PRESSURED}, or its future fails with BackPressureException. */
    FAIL,
    /** Take the new message and drop the oldest queued one; its future (if any) fails, and the drop is counted. */
    DROP_OLDEST
}

package io.meshbus.transport;

import io.netty.channel.Channel;

/** Installs the upper layers' handlers on a new channel, after the transport's own handlers. Runs on the event loop. */
@FunctionalInterface
public interface LinkInitializer {
    /**
     * @param channel the new channel
     * @param accepted true for a channel accepted by a listener, false for one this side dialled
     */
    void initialize(Channel channel, boolean accepted);
}

package io.meshbus.compat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/** The event loops of the compat dialects: few threads, daemon, shared (the dialects are not the fast path). */
final class Loops {
    private static volatile EventLoopGroup group;

    private Loops() {
    }

    static EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (Loops.class) {
                g = group;
                if (g == null) {
                    g = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("meshbus-compat", true),
                            NioIoHandler.newFactory());
                    group = g;
                }
            }
        }
        return g;
    }
}

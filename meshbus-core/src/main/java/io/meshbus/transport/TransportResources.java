package io.meshbus.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The event loops that transports share. Created on first use, with daemon threads, and shared by every node in the
 * process unless a node is given its own: nodes in one JVM should not each start a thread pool per core.
 */
public final class TransportResources implements AutoCloseable {
    private static volatile TransportResources shared;

    private final boolean epoll;
    private final EventLoopGroup network;
    private final EventLoopGroup local;

    private TransportResources(int threads) {
        this.epoll = Epoll.isAvailable() && !Boolean.getBoolean("meshbus.noEpoll");
        IoHandlerFactory f = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.network = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("meshbus-io", true), f);
        this.local = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("meshbus-mem", true),
                LocalIoHandler.newFactory());
    }

    /** The process-wide resources: one event loop per core for sockets and one per core for in-memory links. */
    public static TransportResources shared() {
        TransportResources r = shared;
        if (r == null) {
            synchronized (TransportResources.class) {
                r = shared;
                if (r == null) {
                    r = new TransportResources(Math.max(1, Runtime.getRuntime().availableProcessors()));
                    shared = r;
                }
            }
        }
        return r;
    }

    /**
     * Event loops of their own, for transports that must not share threads with the rest of the process (a node
     * whose listeners run on its I/O threads, kept apart from others'; a test that needs to know which thread a link
     * is on). The caller closes them.
     */
    public static TransportResources of(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: at least 1, was " + threads);
        }
        return new TransportResources(threads);
    }

    /** Stops the event loops (never call it on {@link #shared()}). */
    @Override
    public void close() {
        if (this == shared) {
            throw new IllegalStateException("the shared transport resources are never closed");
        }
        network.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        local.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Whether sockets use native epoll (true on Linux with the native library), NIO otherwise. */
    public boolean epoll() {
        return epoll;
    }

    public EventLoopGroup network() {
        return network;
    }

    public EventLoopGroup local() {
        return local;
    }
}

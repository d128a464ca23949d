package io.meshbus.node;

import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a remote's queued items to one channel (the role of Netty's {@code ChannelOutboundBuffer} feeder, jnats's
 * {@code NatsConnectionWriter}): messages are encoded back to back into 64 KiB buffers, so a burst of small messages
 * costs one write and one flush, not one each; shared frames are copied in when small and written as they are when
 * large. Each future completes once the write that carried its message did.
 *
 * <p>Threads: only inside the remote's single-drainer section ({@link RemoteDrainer}), which usually runs on the
 * channel's event loop; never two at once for one remote.
 */
final class LinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LinkWriter.class);
    /** A buffer is written once it holds this much; large writes are what makes a stream fast. */
    private static final int WRITE_CHUNK = 64 * 1024;
    /** Shared (multi-dispatch) frames above this size are written as they are instead of copied into the batch. */
    private static final int COPY_LIMIT = 8 * 1024;

    private final Channel ch;
    private final int maxFrame;
    private final NodeMetrics metrics;
    private final Completions completions;
    /** The remote's id, for logs and errors. */
    private final Supplier<String> remoteId;

    LinkWriter(Channel ch, int maxFrame, NodeMetrics metrics, Completions completions, Supplier<String> remoteId) {
        this.ch = ch;
        this.maxFrame = maxFrame;
        this.metrics = metrics;
        this.completions = completions;
        this.remoteId = remoteId;
    }

    /** Writes the remote's queued items while the channel is writable, then flushes once. */
    void writeFrom(Remote r) {
        Object[] items = r.drainItems;
        CompletableFuture<?>[] futures = r.drainFutures;
        ByteBuf buf = null;
        List<CompletableFuture<?>> pending = null;
        int written = 0;
        int n;
        while (ch.isWritable() && (n = r.queue.drain(items, futures, items.length)) > 0) {
            for (int i = 0; i < n; i++) {
                Object item = items[i];
                CompletableFuture<?> f = futures[i];
                items[i] = null;
                futures[i] = null;
                if (buf == null) {
                    buf = ch.alloc().ioBuffer(WRITE_CHUNK + 1024);
                }
                if (item instanceof Message m) {
                    try {
                        WireFormat.writeData(buf, m, maxFrame, r.strings);
                    } catch (FrameTooLargeException e) {
                        r.queue.uncount();
                        metrics.framesTooLarge.increment();
                        LOG.warn("not sent to node {}: {}", remoteId.get(), e.getMessage());
                        completions.fail(f, e);
                        continue;
                    }
                } else if (item instanceof Frame.Tally t) {
                    WireFormat.writeControl(buf, t);
                    continue;
                } else if (item instanceof byte[] frame) {
                    buf.writeBytes(frame);
                } else {
                    ByteBuf shared = (ByteBuf) item;
                    if (shared.readableBytes() > COPY_LIMIT) {
                        if (buf.isReadable()) {
                            write(buf, pending);
                            pending = null;
                        } else {
                            buf.release();
                        }
                        buf = null;
                        if (f != null) {
                            pending = new ArrayList<>(1);
                            pending.add(f);
                        }
                        write(shared, pending);
                        pending = null;
                        written++;
                        continue;
                    }
                    buf.writeBytes(shared, shared.readerIndex(), shared.readableBytes());
                    shared.release();
                }
                written++;
                if (f != null) {
                    if (pending == null) {
                        pending = new ArrayList<>();
                    }
                    pending.add(f);
                }
                if (buf.readableBytes() >= WRITE_CHUNK) {
                    write(buf, pending);
                    buf = null;
                    pending = null;
                }
            }
        }
        if (buf != null) {
            if (buf.isReadable()) {
                write(buf, pending);
            } else {
                buf.release();
            }
        }
        if (written > 0) {
            metrics.messagesSent.add(written);
            ch.flush();
        }
        if (r.queue.roomReady) {
            completions.complete(new ArrayList<>(r.queue.takeRoomWaiters()), null);
        }
    }

    private void write(ByteBuf buf, List<CompletableFuture<?>> futures) {
        if (futures == null) {
            ch.write(buf, ch.voidPromise());
        } else {
            ch.write(buf).addListener(w -> completions.complete(futures, w.isSuccess() ? null
                    : new PeerUnreachableException("write to node " + remoteId.get() + " failed: " + w.cause(),
                            w.cause())));
        }
    }
}

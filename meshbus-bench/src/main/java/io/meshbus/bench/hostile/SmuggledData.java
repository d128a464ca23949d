package io.meshbus.bench.hostile;

import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections to the tcp listener that send, in one write, a HELLO the host must refuse (an unknown protocol version)
 * and a well-formed DATA frame behind it, then read until the host closes. Nothing after a refused frame may be read:
 * the DATA must never reach the node (once it did, with a stack trace in the log per connection).
 */
final class SmuggledData implements Attack {
    private static final int THREADS = 4;
    private static final Duration ANSWER = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(120);

    private final int count;

    SmuggledData(int count) {
        this.count = count;
    }

    @Override
    public String name() {
        return "refused-hello";
    }

    @Override
    public Outcome run(Target target) throws Exception {
        ByteBuf b = Unpooled.buffer();
        WireFormat.writeControl(b, new Frame.Hello(99, "intruder", 1, "", false, "", false));
        WireFormat.writeData(b, Message.of("smuggled"), 1 << 20);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        AtomicInteger unanswered = new AtomicInteger();
        int failed = Sockets.inParallel(count, THREADS, BOUND, i -> {
            try (Socket s = Sockets.open(target.tcp())) {
                s.setSoTimeout((int) ANSWER.toMillis());
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                byte[] sink = new byte[1024];
                while (in.read(sink) >= 0) {
                    // the refusal, then the end of the stream
                }
            } catch (SocketTimeoutException e) {
                unanswered.incrementAndGet();
            } catch (SocketException reset) {
                // closed with our DATA unread: a refusal too
            }
        });
        Outcome outcome = new Outcome().seen("connections", count - failed, "connections")
                .seen("not-closed-in-10s", unanswered.get(), "connections").connectsFailed(failed, count);
        if (unanswered.get() > 0) {
            outcome.warn(unanswered.get() + " refused connections still open " + ANSWER.toSeconds() + " s after");
        }
        return outcome;
    }
}

package io.meshbus.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * The baseline of the datagram scenarios: a blocking {@link DatagramChannel} pair, one {@code --size}-byte datagram
 * per message and nothing else, one thread at each end, the sockets' default buffer sizes (as the udp4 carrier's).
 * Like any datagrams, these are dropped when the receiver falls behind; the scenario counts what arrives.
 */
public final class RawDatagramContender extends TwoJvmContender {
    public static final RawDatagramContender RAW_UDP = new RawDatagramContender();

    private RawDatagramContender() {
        super("raw-udp", true);
    }

    @Override
    public ChildServer sink(int size) throws IOException {
        return new Receiver(size).start();
    }

    /** A connected channel: the kernel checks the address once, not on every send. */
    @Override
    public StreamSender streamTo(URI address, int size) throws IOException {
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.connect(new InetSocketAddress(address.getHost(), address.getPort()));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ByteBuffer datagram = ByteBuffer.allocateDirect(size).put(Contender.payload(size));
        return new StreamSender() {
            @Override
            public boolean trySend() throws IOException {
                datagram.clear();
                ch.write(datagram);
                return true;
            }

            @Override
            public void flush() {
                // Each write is a datagram sent; nothing is buffered on this side.
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** Receives datagrams on 127.0.0.1 on its own thread and counts them by size. */
    private static final class Receiver {
        private final DatagramChannel channel;
        private final int size;
        /** The reader thread is its single writer. */
        private final Tally tally;
        private Thread reader;

        Receiver(int size) throws IOException {
            this.channel = DatagramChannel.open(StandardProtocolFamily.INET)
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.size = size;
            this.tally = new Tally(size);
        }

        ChildServer start() {
            reader = Waits.daemon(this::receive, "raw-udp-sink");
            return tally.server(this::address, this::close);
        }

        private void receive() {
            // One byte more than expected, so a longer datagram is seen as such instead of being cut to size.
            ByteBuffer b = ByteBuffer.allocateDirect(size + 1);
            try {
                while (true) {
                    b.clear();
                    channel.receive(b);
                    tally.count(b.position());
                }
            } catch (ClosedChannelException closed) {
                // close() was called: the normal end.
            } catch (IOException e) {
                System.err.println("raw udp sink failed: " + e);
            }
        }

        private URI address() {
            InetSocketAddress a;
            try {
                a = (InetSocketAddress) channel.getLocalAddress();
            } catch (IOException e) {
                throw new IllegalStateException("the sink's channel is closed", e);
            }
            return URI.create("udp://" + a.getAddress().getHostAddress() + ":" + a.getPort());
        }

        private void close() throws IOException {
            channel.close();
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

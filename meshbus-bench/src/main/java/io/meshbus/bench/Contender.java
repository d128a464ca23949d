package io.meshbus.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One way of moving messages between the two JVMs (the node, or a raw-socket baseline), seen from both ends: the
 * child JVM runs the server side, the harness the client side. Scenarios are written once against this interface, so
 * the node and its baseline go through exactly the same measuring code.
 */
interface Contender {
    /** The name the child JVM is started with, see {@link BenchChild}. */
    String name();

    /** Child side: accepts one stream and counts the messages it receives. */
    ChildServer sink(int size) throws Exception;

    /** Child side: sends every message it receives straight back to its sender. */
    ChildServer echo(int size) throws Exception;

    /** Harness side: a one-way stream to a {@link #sink}. */
    StreamSender streamTo(URI address, int size) throws Exception;

    /** Harness side: request/echo against an {@link #echo}. */
    Pinger pingerTo(URI address, int size) throws Exception;

    /** Harness side: keeps {@code inFlight} requests outstanding against an {@link #echo} until stopped. */
    default Pipeline pipelineTo(URI address, int size, int inFlight) throws Exception {
        throw new UnsupportedOperationException(name() + " has no pipelined requests");
    }

    /**
     * Whether messages may be lost on the way without anyone being told (datagrams): the sink's drain then ends when
     * its count stops growing, and what did not arrive is reported as dropped rather than waited for.
     */
    default boolean lossy() {
        return false;
    }

    /** The payload every contender sends: the same bytes, so no transport gains from their content. */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    /** The server running in the child JVM. */
    interface ChildServer extends AutoCloseable {
        /** Where the harness connects. */
        URI address();

        /** Messages received with the expected size (counted or echoed); safe to read from any thread. */
        long delivered();

        /** Messages received with a size other than the expected one; never counted as delivered. */
        long malformed();

        @Override
        void close() throws IOException;
    }

    /**
     * The harness's end of a one-way stream. Used by one thread, except {@link #close}, which unblocks a waiting
     * {@link #trySend} from any thread.
     */
    interface StreamSender extends AutoCloseable {
        /**
         * Offers the next message. Returns false when the transport pushed back: nothing was taken and the same
         * message is offered again on the next call.
         */
        boolean trySend() throws IOException;

        /**
         * Pushes out anything still buffered on this side; a sender with confirmations also waits for the confirmation
         * of every message it handed over.
         */
        void flush() throws IOException;

        /**
         * Messages the receiving side has confirmed so far, readable from any thread; -1 for a transport without
         * confirmations, whose rate is what the sink counts.
         */
        default long confirmed() {
            return -1;
        }

        /**
         * Deliveries the sink should count for {@code accepted} messages: more than one each when a message goes to
         * several subscribers; read after {@link #flush}.
         */
        default long expectedDeliveries(long accepted) {
            return accepted;
        }

        /** What this sender saw that casts doubt on the figure, for example refusals its API does not report. */
        default List<String> warnings() {
            return List.of();
        }

        @Override
        void close() throws IOException;
    }

    /**
     * The harness's end of request/echo. Used by one thread, except {@link #close}: closing from another thread makes
     * a waiting {@link #roundTrip} throw, which is how the harness bounds a run without timing every wait.
     */
    interface Pinger extends AutoCloseable {
        /** Sends one message and returns when its echo has arrived. */
        void roundTrip() throws IOException, InterruptedException;

        @Override
        void close() throws IOException;
    }

    /** The harness's end of pipelined requests: running from creation, a fixed number outstanding at any time. */
    interface Pipeline extends AutoCloseable {
        /** Replies received so far, readable from any thread. */
        long completed();

        /** Stops issuing requests and waits for the outstanding replies; throws the first failure seen. */
        void stop(Duration timeout) throws IOException, InterruptedException, TimeoutException;

        @Override
        void close() throws IOException;
    }
}

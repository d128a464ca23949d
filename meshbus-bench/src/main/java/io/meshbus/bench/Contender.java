package io.meshbus.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One way of moving messages, the only thing the measuring loops see: it sets up both ends (wherever they run),
 * then offers one operation (a round trip, {@link Echo}) or one stream ({@link Stream}), then tears both down. The
 * shared loops ({@link LatencyLoop}, {@link RateLoop}) time every contender of a run the same way, in turns, so a
 * subject and its baseline differ only in what the contender does.
 *
 * <p>Most contenders run their receiving end in a child JVM ({@link TwoJvmContender}); the backplane ones run both
 * ends in this JVM, the broker being the wire.
 */
public interface Contender {
    /** The contender's name, as the figures and the child JVM's command line know it. */
    String name();

    /** Sets up a one-way stream of {@code size}-byte messages: a sender here, a counting receiver. */
    Stream openStream(int size) throws Exception;

    /** Sets up request/reply of {@code size}-byte messages: an echoing end, and this end's requests. */
    Echo openEcho(int size) throws Exception;

    /** The payload every contender sends: the same bytes, so no transport gains from their content. */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    /** What the receiving end counted so far: well-formed messages, and those of another size. */
    record Received(long delivered, long malformed) {
        long total() {
            return delivered + malformed;
        }
    }

    /** Both ends of a one-way stream, set up. */
    interface Stream extends AutoCloseable {
        /** This end; used by one sending thread at a time. */
        StreamSender sender();

        /** The receiving end's counts; safe from any thread (a child's are asked for over its stdin). */
        Received received() throws IOException;

        /** Messages the contender itself counted as refused or dropped on the way, so they will not arrive. */
        default long lost() {
            return 0;
        }

        /**
         * Whether messages may be lost on the way without anyone being told (datagrams): the drain then ends when
         * the count stops growing, and what did not arrive is reported as dropped rather than waited for.
         */
        default boolean lossy() {
            return false;
        }

        @Override
        void close() throws IOException;
    }

    /** Both ends of request/reply, set up. */
    interface Echo extends AutoCloseable {
        /** A fresh requester, one request at a time. */
        Pinger pinger() throws Exception;

        /** A fresh requester keeping {@code inFlight} requests outstanding, running until stopped. */
        default Pipeline pipeline(int inFlight) throws Exception {
            throw new UnsupportedOperationException("no pipelined requests");
        }

        @Override
        void close() throws IOException;
    }

    /**
     * The sending end of a one-way stream. Used by one thread, except {@link #close}, which unblocks a waiting
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
         * confirmations, whose rate is what the receiver counts.
         */
        default long confirmed() {
            return -1;
        }

        /**
         * Deliveries the receiver should count for {@code accepted} messages: more than one each when a message goes
         * to several subscribers; read after {@link #flush}.
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
     * The requesting end of request/reply. Used by one thread, except {@link #close}: closing from another thread
     * makes a waiting {@link #roundTrip} throw, which is how the loop bounds a run without timing every wait.
     */
    interface Pinger extends AutoCloseable {
        /** Sends one message and returns when its echo has arrived. */
        void roundTrip() throws IOException, InterruptedException;

        @Override
        void close() throws IOException;
    }

    /** Pipelined requests: running from creation, a fixed number outstanding at any time. */
    interface Pipeline extends AutoCloseable {
        /** Replies received so far, readable from any thread. */
        long completed();

        /** Stops issuing requests and waits for the outstanding replies; throws the first failure seen. */
        void stop(Duration timeout) throws IOException, InterruptedException, TimeoutException;

        @Override
        void close() throws IOException;
    }
}

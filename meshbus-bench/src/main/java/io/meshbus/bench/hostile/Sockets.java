package io.meshbus.bench.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** The plain blocking sockets the attacks and the health probe open, all to 127.0.0.1, every wait bounded. */
final class Sockets {
    static final Duration CONNECT = Duration.ofSeconds(5);

    private Sockets() {
    }

    /** A connection to {@code at}'s port on 127.0.0.1. */
    static Socket open(URI at) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", at.getPort()), (int) CONNECT.toMillis());
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Writes {@code bytes}; false when the host had closed the connection already (at accept, say). */
    static boolean tryWrite(Socket s, byte[] bytes) {
        try {
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /**
     * How an attack's connections ended.
     *
     * @param closed    closed by the host (end of stream or reset) within the bound
     * @param stillOpen still open when the bound ran out
     * @param last      when the last of the closed ones was seen closed, from the start of the wait
     */
    record Closed(int closed, int stillOpen, Duration last) {
    }

    /**
     * Waits until the host has closed every one of {@code sockets} (reading, and dropping, whatever it answers), at
     * most {@code bound} in all. The sockets are read one after another: they were opened in that order, so their
     * deadlines run out in that order too.
     */
    static Closed awaitClosedByHost(List<Socket> sockets, Duration bound) {
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        int closed = 0;
        long lastAt = start;
        byte[] sink = new byte[8192];
        for (Socket s : sockets) {
            if (readToEnd(s, sink, deadline)) {
                closed++;
                lastAt = System.nanoTime();
            }
        }
        return new Closed(closed, sockets.size() - closed, Duration.ofNanos(lastAt - start));
    }

    /** True when the peer ended the stream (or reset it) before {@code deadline}. */
    private static boolean readToEnd(Socket s, byte[] sink, long deadline) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left)));
                if (in.read(sink) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closed by the host already
        }
    }

    /** One task per connection, on {@code threads} threads. */
    @FunctionalInterface
    interface PerConnection {
        void run(int i) throws Exception;
    }

    /**
     * Runs {@code task} for 0..count-1 on {@code threads} threads, all within {@code bound}; returns how many threw.
     * Past the bound the threads are interrupted and the remaining tasks dropped, and a TimeoutException is thrown.
     */
    static int inParallel(int count, int threads, Duration bound, PerConnection task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "hostile-client");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            Future<?>[] workers = new Future<?>[threads];
            for (int w = 0; w < threads; w++) {
                workers[w] = pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count && !Thread.currentThread().isInterrupted();
                         i = next.getAndIncrement()) {
                        try {
                            task.run(i);
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                });
            }
            long deadline = System.nanoTime() + bound.toNanos();
            for (Future<?> f : workers) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            return failed.get();
        } catch (TimeoutException e) {
            throw new TimeoutException("only " + Math.min(count, next.get()) + " of " + count + " connections in "
                    + bound.toSeconds() + " s");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A probe's request for {@code /health} on a connection of its own (as a load balancer's would be), answered within
     * {@code timeout}; throws unless the answer is 200.
     */
    static void health(URI status, Duration timeout) throws IOException {
        try (Socket s = open(status)) {
            s.setSoTimeout((int) timeout.toMillis());
            s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] line = new byte[12];
            int n = s.getInputStream().readNBytes(line, 0, line.length);
            String head = new String(line, 0, n, StandardCharsets.US_ASCII);
            if (!head.equals("HTTP/1.1 200")) {
                throw new IOException(n == 0 ? "closed without an answer" : "answered " + head);
            }
        }
    }
}

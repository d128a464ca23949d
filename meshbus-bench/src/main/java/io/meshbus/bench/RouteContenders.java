package io.meshbus.bench;

import io.meshbus.codec.ContentType;
import io.meshbus.error.BackPressureException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.route.Client;
import io.meshbus.route.Distro;
import io.meshbus.route.Info;
import io.meshbus.route.Response;
import io.meshbus.route.Server;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The routed (distro) API as benchmark contenders, as an application uses it: {@code Distro.create(transport)}, a
 * server in the child JVM with one {@code post} handler, a client in the harness. Over tcp the handler returns the
 * request ({@code route-request}); over udp4 it counts one-way messages ({@code udp-throughput}).
 */
public final class RouteContenders {
    public static final TwoJvmContender TCP = new Requests();
    public static final TwoJvmContender UDP = new Datagrams();
    /** Requests outstanding in {@code route-request}'s throughput figure. */
    static final int IN_FLIGHT = 16;

    private static final String ECHO = "/echo";
    private static final String COUNT = "/count";
    /** Far above any healthy round trip; the latency loop's own watchdog gives up much sooner. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Datagrams the udp client may have handed to its event loop but not yet written: its send never refuses, and a
     * sender flat out would otherwise queue without bound in front of the one I/O thread.
     */
    private static final int UDP_WINDOW = 1024;

    private RouteContenders() {
    }

    private static Headers headers(String uri) {
        return Headers.builder().put(Headers.URI, uri).put(Headers.VERB, "post").build();
    }

    /** A started server of the transport on 127.0.0.1, port 0, with {@code handler} on post {@code uri}. */
    private static TwoJvmContender.ChildServer serve(String transport, String uri, int size, boolean reply)
            throws Exception {
        Server server = Distro.create(transport).server(Info.port(0));
        // Handlers may run on several threads at once (udp hands datagrams to a pool): adders, not lazySet.
        LongAdder delivered = new LongAdder();
        LongAdder malformed = new LongAdder();
        server.post(uri, ctx -> {
            (ctx.message().payloadSize() == size ? delivered : malformed).increment();
            return reply ? ctx.message() : null;
        });
        Waits.await(server.start());
        String scheme = transport.startsWith("udp") ? "udp" : transport;
        return new TwoJvmContender.ChildServer(() -> URI.create(scheme + "://" + server.info().address() + ":"
                + server.info().port()), delivered::sum, malformed::sum, () -> Waits.closed(server.close(), "server"));
    }

    private static Client client(String transport, URI address) {
        return Distro.create(transport).client(new Info(address.getHost(), address.getPort()));
    }

    /** Request/reply over tcp: the child's handler returns the request, which goes back as the response. */
    private static final class Requests extends TwoJvmContender {
        Requests() {
            super("route-tcp");
        }

        @Override
        public ChildServer echo(int size) throws Exception {
            return serve("tcp", ECHO, size, true);
        }

        @Override
        public Pinger pingerTo(URI address, int size) {
            Client client = client("tcp", address);
            Headers headers = headers(ECHO);
            byte[] payload = Contender.payload(size);
            return new Pinger() {
                /** The request waited for; failed by close, since closing the client leaves it pending. */
                private volatile CompletableFuture<Response> waiting;

                @Override
                public void roundTrip() throws IOException, InterruptedException {
                    Message m = Message.ofBytes(headers, ContentType.BYTES, payload);
                    CompletableFuture<Response> f = client.request(m, REQUEST_TIMEOUT);
                    waiting = f;
                    try {
                        check(m, f.get(), size);
                    } catch (ExecutionException e) {
                        throw new IOException("request failed: " + e.getCause(), e.getCause());
                    }
                }

                @Override
                public void close() throws IOException {
                    CompletableFuture<Response> f = waiting;
                    if (f != null) {
                        f.completeExceptionally(new IOException("the client was closed"));
                    }
                    Waits.closed(client.close(), "the client");
                }
            };
        }

        @Override
        public Pipeline pipelineTo(URI address, int size, int inFlight) {
            return new RoutePipeline(client("tcp", address), headers(ECHO), size, inFlight);
        }
    }

    /** Throws unless the response is OK and carries the request back (same id, same size). */
    private static void check(Message request, Response r, int size) throws IOException {
        if (!r.ok() || !r.message().id().equals(request.id()) || r.message().payloadSize() != size) {
            throw new IOException("the response " + r.status() + " " + r.message().id() + " (" + r.error() + ", "
                    + r.message().payloadSize() + " bytes) is not the echo of request " + request.id());
        }
    }

    /**
     * Keeps {@code inFlight} requests outstanding: each response issues the next request from the thread that
     * completed it. The first failure stops the pipeline, and {@link #stop} reports it.
     */
    private static final class RoutePipeline extends CountingPipeline {
        private final Client client;
        private final Headers headers;
        private final byte[] payload;
        private final AtomicInteger outstanding;
        private final CompletableFuture<Void> drained = new CompletableFuture<>();

        RoutePipeline(Client client, Headers headers, int size, int inFlight) {
            super("route pipeline");
            this.client = client;
            this.headers = headers;
            this.payload = Contender.payload(size);
            this.outstanding = new AtomicInteger(inFlight);
            for (int i = 0; i < inFlight; i++) {
                issue();
            }
        }

        private void issue() {
            Message m = Message.ofBytes(headers, ContentType.BYTES, payload);
            client.request(m, REQUEST_TIMEOUT).whenComplete((r, e) -> {
                try {
                    if (e != null) {
                        throw new IOException("request failed: " + e, e);
                    }
                    check(m, r, payload.length);
                    replied();
                } catch (IOException | RuntimeException x) {
                    failed(x);
                }
                if (!stopping()) {
                    issue();
                } else if (outstanding.decrementAndGet() == 0) {
                    drained.complete(null);
                }
            });
        }

        @Override
        protected boolean awaitOutstanding(Duration timeout) throws InterruptedException {
            try {
                drained.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (ExecutionException impossible) {
                throw new IllegalStateException(impossible);
            } catch (TimeoutException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            Waits.closed(client.close(), "the client");
        }
    }

    /** One-way messages over udp4, counted by the child's handler. */
    private static final class Datagrams extends TwoJvmContender {
        Datagrams() {
            super("route-udp", true);
        }

        /**
         * {@code client.send} never refuses; its future completes once the datagram is written. At most
         * {@link #UDP_WINDOW} unwritten: a full window counts as back-pressure.
         */
        @Override
        public StreamSender streamTo(URI address, int size) {
            Client client = client("udp4", address);
            Headers headers = headers(COUNT);
            byte[] payload = Contender.payload(size);
            AtomicLong written = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            return new StreamSender() {
                private long sent;

                @Override
                public boolean trySend() throws IOException {
                    throwIfFailed();
                    if (sent - written.get() >= UDP_WINDOW) {
                        return false;
                    }
                    CompletableFuture<Void> f = client.send(Message.ofBytes(headers, ContentType.BYTES, payload));
                    Throwable refused = f.isCompletedExceptionally() ? f.handle((v, e) -> e).join() : null;
                    if (refused instanceof CompletionException && refused.getCause() != null) {
                        refused = refused.getCause();
                    }
                    if (refused instanceof BackPressureException) {
                        // The client refused: datagrams above its water mark are waiting. Back off and retry.
                        return false;
                    }
                    sent++;
                    f.whenComplete((v, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                        written.incrementAndGet();
                    });
                    return true;
                }

                @Override
                public void flush() throws IOException {
                    long deadline = System.nanoTime() + Waits.LIFECYCLE.toNanos();
                    while (written.get() < sent) {
                        if (System.nanoTime() > deadline) {
                            throw new IOException((sent - written.get()) + " datagrams still unwritten "
                                    + Waits.LIFECYCLE.toSeconds() + " s after the sender stopped");
                        }
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while datagrams were written");
                        }
                    }
                    throwIfFailed();
                }

                private void throwIfFailed() throws IOException {
                    Throwable t = failure.get();
                    if (t != null) {
                        throw new IOException("a udp send failed: " + t, t);
                    }
                }

                @Override
                public void close() throws IOException {
                    Waits.closed(client.close(), "the client");
                }
            };
        }

        @Override
        public ChildServer sink(int size) throws Exception {
            return serve("udp4", COUNT, size, false);
        }
    }
}

package io.meshbus.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 that breaks the connections it carries at will: {@link #cut()}, {@link #reset()},
 * {@link #stall()} / {@link #resume()}, {@link #delay(Duration)}, {@link #halfOpen()} and {@link #refuse(boolean)}.
 * It exists for fault injection in tests (the core's {@code ChaosTest}) and in the soak benchmark
 * ({@code bench soak}): make one side dial {@link #uri()} instead of the target, and every connection, the first and
 * each re-dial, crosses the proxy. It listens on the loopback interface only (port 0) and is no production component.
 *
 * <p>Blocking sockets, two pump threads per connection, one 16 KiB chunk per pump: a pump that may not forward holds
 * its chunk and reads no more, so the kernel buffers fill and TCP pushes back on the sender. Memory stays bounded by
 * {@code maxConnections} chunks of each direction, and a connection over that bound is refused.
 */
public final class ChaosProxy implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    private final InetSocketAddress target;
    private final int maxConnections;
    private final ServerSocket server;
    private final ThreadPoolExecutor pool;
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    /** Guards the fault modes below; pumps wait on it while they may not forward. */
    private final Object modes = new Object();
    private boolean stalled;
    private long delayNanos;
    private volatile boolean refusing;
    private volatile boolean closed;

    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesForwarded = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong connectionsBroken = new AtomicLong();
    private final AtomicLong chunksHeld = new AtomicLong();
    private final AtomicLong chunksDelayed = new AtomicLong();
    private final AtomicInteger threadNo = new AtomicInteger();

    /** Proxies to {@code targetHost:targetPort}, at most 32 connections at once. */
    public ChaosProxy(String targetHost, int targetPort) throws IOException {
        this(targetHost, targetPort, 32);
    }

    /** Proxies to {@code targetHost:targetPort}; connections beyond {@code maxConnections} are refused. */
    public ChaosProxy(String targetHost, int targetPort, int maxConnections) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.maxConnections = maxConnections;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        // One acceptor plus, per connection, a connector that becomes the first pump, and the second pump.
        this.pool = new ThreadPoolExecutor(0, 1 + 2 * maxConnections, 10, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "chaos-proxy-" + threadNo.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.execute(this::acceptLoop);
    }

    /** Proxies to the address of a tcp:// URI. */
    public static ChaosProxy to(URI uri) throws IOException {
        return new ChaosProxy(uri.getHost(), uri.getPort());
    }

    /** The proxy's own port on 127.0.0.1. */
    public int port() {
        return server.getLocalPort();
    }

    /** The address to dial instead of the target. */
    public String uri() {
        return "tcp://127.0.0.1:" + port();
    }

    // ------------------------------------------------------------------ faults

    /** Closes both sides of every current connection at once (each end sees an orderly end of stream). */
    public void cut() {
        for (Conn c : List.copyOf(conns)) {
            c.close(false, true);
        }
    }

    /** Closes every current connection with SO_LINGER 0, so both ends get an RST. */
    public void reset() {
        for (Conn c : List.copyOf(conns)) {
            c.close(true, true);
        }
    }

    /** Stops forwarding in both directions on every connection, current and new; the sockets stay open. */
    public void stall() {
        synchronized (modes) {
            stalled = true;
        }
    }

    /** Ends a stall: held chunks are written out, and forwarding goes on. */
    public void resume() {
        synchronized (modes) {
            stalled = false;
            modes.notifyAll();
        }
    }

    /** Delays each forwarded chunk by this much; zero ends the delay. */
    public void delay(Duration d) {
        synchronized (modes) {
            delayNanos = d.toNanos();
        }
    }

    /**
     * Makes every current connection a dead peer behind a NAT: nothing is forwarded, nothing more is read (at most the
     * chunk a pump was already reading), and the sockets stay open until {@link #cut()}, {@link #reset()} or
     * {@link #close()}. Connections made afterwards work normally.
     */
    public void halfOpen() {
        for (Conn c : List.copyOf(conns)) {
            c.dead = true;
        }
    }

    /** While on, new connections are accepted and closed at once. */
    public void refuse(boolean on) {
        refusing = on;
    }

    // ------------------------------------------------------------------ counters

    /** Bytes read from either side, forwarded or not. */
    public long bytesRead() {
        return bytesRead.get();
    }

    /** Bytes written to the other side. */
    public long bytesForwarded() {
        return bytesForwarded.get();
    }

    /** Connections accepted and forwarded (refused ones not counted). */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Connections closed at once: while refusing, or over {@code maxConnections}. */
    public long connectionsRefused() {
        return refused.get();
    }

    /** Connections the proxy closed by a fault ({@link #cut()}, {@link #reset()}). */
    public long connectionsBroken() {
        return connectionsBroken.get();
    }

    /** Chunks a stall held back (each is written out on {@link #resume()}). */
    public long chunksHeld() {
        return chunksHeld.get();
    }

    /** Chunks a delay held back before forwarding them. */
    public long chunksDelayed() {
        return chunksDelayed.get();
    }

    /** Connections open now, half-open ones included. */
    public int openConnections() {
        return conns.size();
    }

    // ------------------------------------------------------------------ plumbing

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (refusing || closed || conns.size() >= maxConnections) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            Conn c = new Conn(client);
            conns.add(c);
            try {
                pool.execute(c::connectAndPump);
            } catch (RejectedExecutionException e) {
                refused.incrementAndGet();
                c.close(false, false);
            }
        }
    }

    /** Waits while this connection may not forward; false when it closed meanwhile. */
    private boolean awaitForwarding(Conn c) throws InterruptedException {
        synchronized (modes) {
            if (stalled && !c.dead) {
                chunksHeld.incrementAndGet();
            }
            while ((stalled || c.dead) && !c.closed && !closed) {
                modes.wait();
            }
            return !c.closed && !closed;
        }
    }

    /** Waits while this connection is half-open (for good, until closed); false when it closed. */
    private boolean awaitAlive(Conn c) throws InterruptedException {
        synchronized (modes) {
            while (c.dead && !c.closed && !closed) {
                modes.wait();
            }
            return !c.closed && !closed;
        }
    }

    private long currentDelayNanos() {
        synchronized (modes) {
            return delayNanos;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** One proxied connection: the client's socket and ours to the target. */
    private final class Conn {
        final Socket client;
        volatile Socket upstream;
        volatile boolean dead;
        volatile boolean closed;

        Conn(Socket client) {
            this.client = client;
        }

        void connectAndPump() {
            Socket up = new Socket();
            try {
                up.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                up.connect(target, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                closeQuietly(up);
                close(false, false);
                return;
            }
            upstream = up;
            if (closed) {
                // A fault or close() raced with the connect and missed this socket.
                closeQuietly(up);
                return;
            }
            accepted.incrementAndGet();
            try {
                pool.execute(() -> pump(up, client));
            } catch (RejectedExecutionException e) {
                close(false, false);
                return;
            }
            pump(client, up);
        }

        private void pump(Socket from, Socket to) {
            byte[] chunk = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    // A stalled pump reads one chunk and holds it; a dead one reads nothing more.
                    if (!awaitAlive(this)) {
                        return;
                    }
                    int n = in.read(chunk);
                    if (n < 0) {
                        break;
                    }
                    bytesRead.addAndGet(n);
                    long d = currentDelayNanos();
                    if (d > 0) {
                        chunksDelayed.incrementAndGet();
                        // The delay fault itself: the one place the proxy sleeps.
                        TimeUnit.NANOSECONDS.sleep(d);
                    }
                    if (!awaitForwarding(this)) {
                        return;
                    }
                    out.write(chunk, 0, n);
                    bytesForwarded.addAndGet(n);
                }
            } catch (SocketException e) {
                // closed under us: a fault or close()
            } catch (IOException e) {
                // the other end went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!dead) {
                close(false, false);
            }
        }

        void close(boolean rst, boolean fault) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            conns.remove(this);
            if (fault) {
                connectionsBroken.incrementAndGet();
            }
            Socket up = upstream;
            for (Socket s : up == null ? List.of(client) : List.of(client, up)) {
                if (rst) {
                    try {
                        s.setSoLinger(true, 0);
                    } catch (SocketException ignored) {
                        // already closed: nothing to reset
                    }
                }
                closeQuietly(s);
            }
            synchronized (modes) {
                modes.notifyAll();
            }
        }
    }

    /** Stops accepting, closes every connection (half-open ones too) and waits up to 5 s for the pump threads. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Conn c : List.copyOf(conns)) {
            c.close(false, false);
        }
        synchronized (modes) {
            modes.notifyAll();
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

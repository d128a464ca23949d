package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile clients against {@code meshbus host} as users run it: one host process with a small heap, an echo peer, tcp
 * and ws listeners and the status page. Each attack runs (bounded in count and time, loopback only) while a normal
 * request and {@code /health} must keep answering; after each, heap after GC, threads and file descriptors must come
 * back to their level before it, and the host's log must stay bounded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(150)
class HostileClientsIT {
    private static final String JAR = System.getProperty("meshbus.jar", "target/meshbus.jar");
    /** What a host may log over all attacks: refusals are counted, and their warnings rate-limited. */
    private static final long LOG_BOUND = 256 * 1024;

    private Process host;
    private Path log;
    private URI tcp;
    private URI ws;
    private String status;
    private long pid;
    private Host client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        log = Files.createTempFile("meshbus-hostile", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        host = new ProcessBuilder(java, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-jar", JAR, "host",
                "--id", "hostile-" + UUID.randomUUID().toString().substring(0, 8),
                "--listen", "tcp://127.0.0.1:0,ws://127.0.0.1:0", "--echo", "echo", "--status-port", "0",
                // A client that vanished is given up (and what was queued for it released) within the recovery bound.
                "--reconnect-timeout", "10s")
                .redirectError(log.toFile()).start();
        BlockingQueue<String> out = lines(host);
        String listening = awaitLine(out, "host ");
        String list = listening.substring(listening.indexOf('[') + 1, listening.indexOf(']'));
        for (String a : list.split(", ")) {
            if (a.startsWith("tcp:")) {
                tcp = URI.create(a);
            } else if (a.startsWith("ws:")) {
                ws = URI.create(a);
            }
        }
        status = awaitLine(out, "status on ").substring("status on ".length());
        pid = host.pid();
        client = Host.builder().id("normal-" + UUID.randomUUID().toString().substring(0, 8)).build();
        client.start().get(10, TimeUnit.SECONDS);
        client.join(tcp.toString()).get(20, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close().get(10, TimeUnit.SECONDS);
        }
        if (host != null) {
            host.destroy();
            assertThat(host.waitFor(20, TimeUnit.SECONDS)).as("SIGTERM ends the host in its bound").isTrue();
        }
    }

    private static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    q.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static String awaitLine(BlockingQueue<String> q, String prefix) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            String l = q.poll(1, TimeUnit.SECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }

    // ------------------------------------------------------------------ what must keep working

    private JsonNode statusJson() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(status + "status"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return Payloads.JSON.readTree(r.body());
    }

    /** A request to the echo peer and /health both answer, each within its own bound. */
    private void stillServing() throws Exception {
        HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(status + "health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(h.statusCode()).as("/health during the attack").isEqualTo(200);
        Peer me = client.get("me") != null ? client.get("me") : client.create("me");
        Message reply = me.request("echo", "ping", Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        assertThat(reply.payloadText()).contains("ping");
    }

    private record Level(long heap, long threads, long fds) {
    }

    /** Heap after a full GC (asked of the host's JVM with jcmd), threads and file descriptors. */
    private Level level() throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(gc.waitFor(30, TimeUnit.SECONDS)).isTrue();
        JsonNode p = statusJson().get("process");
        return new Level(p.get("heapUsed").asLong(), p.get("threads").asLong(),
                p.get("openFileDescriptors").asLong());
    }

    private void assertBackTo(Level before, String attack) throws Exception {
        // The host closes what the attack left within its deadlines; allow it that long, then compare.
        AtomicReference<Level> last = new AtomicReference<>();
        try {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                Level l = level();
                last.set(l);
                return l.fds() <= before.fds() + 16 && l.heap() <= before.heap() + 32L * 1024 * 1024
                        && l.threads() <= before.threads() + 8;
            });
        } catch (ConditionTimeoutException e) {
            // reported by the assertions below, with the figures
        }
        Level after = last.get();
        assertThat(after.fds()).as("%s: file descriptors back to their level", attack)
                .isLessThanOrEqualTo(before.fds() + 16);
        assertThat(after.heap()).as("%s: heap after GC back to its level", attack)
                .isLessThanOrEqualTo(before.heap() + 32L * 1024 * 1024);
        assertThat(after.threads()).as("%s: threads back to their level", attack)
                .isLessThanOrEqualTo(before.threads() + 8);
        assertThat(Files.size(log)).as("%s: the host's log stays bounded", attack).isLessThan(LOG_BOUND);
    }

    private static Socket open(URI at) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", at.getPort()), 5000);
        return s;
    }

    /** The host ends every one of these connections by itself (its deadline), without an answer. */
    private static void closedByTheHost(List<Socket> sockets, String why) throws IOException {
        for (Socket s : sockets) {
            s.setSoTimeout(30_000);
            int b;
            try {
                while ((b = s.getInputStream().read()) != -1) {
                    // a refusal or an HTTP error response, if any, is read to its end
                }
            } catch (java.net.SocketException reset) {
                b = -1;
            }
            assertThat(b).as(why).isEqualTo(-1);
        }
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed by the host
            }
        }
    }

    // ------------------------------------------------------------------ the attacks

    @Test
    void clientsThatFloodTheEchoPeerWithoutReadingThenVanish() throws Exception {
        stillServing();
        Level before = level();
        String java = ProcessHandle.current().info().command().orElse("java");
        for (int i = 0; i < 3; i++) {
            Process flooder = new ProcessBuilder(java, "-Xmx128m", "-cp", JAR, "io.meshbus.bench.hostile.Flooder",
                    tcp.toString(), "120").redirectErrorStream(true).start();
            try {
                awaitLine(lines(flooder), "FLOODING");
                long from = statusJson().get("node").get("messagesReceived").asLong();
                // Until the host took some 60 MB it cannot deliver back (1 KiB each): its replies pile up there.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                        statusJson().get("node").get("messagesReceived").asLong() - from > 60_000);
                stillServing();
            } finally {
                flooder.destroyForcibly(); // SIGKILL: no goodbye, the link is left to the host's timeouts
                flooder.waitFor(10, TimeUnit.SECONDS);
            }
        }
        stillServing();
        assertBackTo(before, "flood and vanish");
    }

    @Test
    void silentAndHalfUpgradedWebSocketConnections() throws Exception {
        stillServing();
        Level before = level();
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 600; i++) {
                Socket s = open(ws);
                if (i % 2 == 1) {
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                held.add(s);
            }
            stillServing();
            closedByTheHost(held, "a ws connection that never upgrades is closed at the upgrade deadline");
        } finally {
            closeAll(held);
        }
        assertBackTo(before, "silent ws connections");
    }

    @Test
    void slowHttpClientsOnTheStatusPort() throws Exception {
        stillServing();
        Level before = level();
        URI st = URI.create(status);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                Socket s = open(st);
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                held.add(s);
            }
            stillServing();
            closedByTheHost(held, "a status client that never finishes its request is closed at the deadline");
        } finally {
            closeAll(held);
        }
        assertBackTo(before, "slow HTTP clients");
    }

    @Test
    void garbageAndConnectCloseStormsOnTheTcpListener() throws Exception {
        stillServing();
        Level before = level();
        byte[] garbage = "GET / HTTP/1.1\r\n\r\n\u0000\u0001garbage".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 500; i++) {
            try (Socket s = open(tcp)) {
                if (i % 2 == 0) {
                    OutputStream out = s.getOutputStream();
                    out.write(garbage);
                    out.flush();
                }
            }
        }
        stillServing();
        assertBackTo(before, "garbage and connect/close storms");
    }

    @Test
    void refusedHandshakesFollowedByDataInTheSameWrite() throws Exception {
        stillServing();
        Level before = level();
        ByteBuf b = Unpooled.buffer();
        WireFormat.writeControl(b, new Frame.Hello(99, "intruder", 1, "", false, "", false));
        WireFormat.writeData(b, Message.of("smuggled"), 1 << 20);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        for (int i = 0; i < 300; i++) {
            try (Socket s = open(tcp)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
                // The host answers with its refusal and closes; it never reads the DATA behind the HELLO.
                while (s.getInputStream().read() != -1) {
                    // the refusal frame
                }
            } catch (java.net.SocketException reset) {
                // closed with unread bytes: also a refusal
            }
        }
        stillServing();
        assertThat(Files.readString(log)).as("no stack trace for a refused handshake")
                .doesNotContain("NullPointerException");
        assertBackTo(before, "refused handshakes followed by data");
    }

    @Test
    void unauthenticatedConnectionsSendingMostOfTheLargestFrame() throws Exception {
        stillServing();
        Level before = level();
        byte[] head = ByteBuffer.allocate(4).putInt(4 * 1024 * 1024 - 16).array();
        byte[] chunk = new byte[64 * 1024];
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = open(tcp);
                held.add(s);
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(head);
                    // The host refuses such a frame before any handshake at its length prefix: these writes only go
                    // as far as the socket buffers take them.
                    for (int k = 0; k < 4; k++) {
                        out.write(chunk);
                    }
                } catch (java.net.SocketException refused) {
                    // closed by the host already
                }
            }
            stillServing();
            closedByTheHost(held, "a frame larger than the handshake's is refused before any handshake");
        } finally {
            closeAll(held);
        }
        assertBackTo(before, "most of the largest frame before a handshake");
    }

    @Test
    void handshakesWithIdsTheProtocolDoesNotAllow() throws Exception {
        stillServing();
        Level before = level();
        for (String id : List.of("x".repeat(1025), "")) {
            ByteBuf b = Unpooled.buffer();
            WireFormat.writeControl(b, new Frame.Hello(io.meshbus.wire.Protocol.VERSION, id, 1, "", false, "", false));
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            for (int i = 0; i < 20; i++) {
                try (Socket s = open(tcp)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(bytes);
                    while (s.getInputStream().read() != -1) {
                        // the refusal
                    }
                } catch (java.net.SocketException reset) {
                    // refused and closed
                }
            }
        }
        stillServing();
        assertThat(statusJson().get("node").get("protocolViolations").asLong()).isPositive();
        assertBackTo(before, "ids the protocol does not allow");
    }
}

package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status window keeps answering whatever slow, silent or greedy clients do. */
class StatusServerTest {
    private Host host;

    @BeforeEach
    void start() throws Exception {
        host = Host.builder().listen("tcp://127.0.0.1:0").build();
        host.start().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        host.close().get(10, TimeUnit.SECONDS);
    }

    private static int health(HttpClient http, int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void shouldAnswerWhileSlowClientsHoldHalfARequestAndCloseThemAtTheDeadline() throws Exception {
        StatusHttp.Limits limits = new StatusHttp.Limits(16, Duration.ofMillis(500), Duration.ofSeconds(30));
        try (StatusServer status = new StatusServer(host, "127.0.0.1", 0, limits)) {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", status.port()), 5000);
                    OutputStream out = s.getOutputStream();
                    out.write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    slow.add(s);
                }
                HttpClient http = HttpClient.newHttpClient();
                assertThat(health(http, status.port())).isEqualTo(200);
                for (Socket s : slow) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    // Closed by the server without an answer: the request never finished.
                    assertThat(in.read()).isEqualTo(-1);
                }
                assertThat(status.httpMetrics().get("timedOut")).isGreaterThanOrEqualTo(4L);
                assertThat(health(http, status.port())).isEqualTo(200);
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    @Test
    void shouldLetANewcomerPushOutTheOldestIdleConnectionAtTheCap() throws Exception {
        StatusHttp.Limits limits = new StatusHttp.Limits(3, Duration.ofSeconds(30), Duration.ofSeconds(30));
        try (StatusServer status = new StatusServer(host, "127.0.0.1", 0, limits)) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", status.port()), 5000);
                    idle.add(s);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> status.httpMetrics().get("open") == 3L);
                // Three silent clients hold every place; a real one still gets its answer.
                assertThat(health(HttpClient.newHttpClient(), status.port())).isEqualTo(200);
                assertThat(status.httpMetrics().get("evicted")).isGreaterThanOrEqualTo(1L);
                Socket oldest = idle.get(0);
                oldest.setSoTimeout(10_000);
                assertThat(oldest.getInputStream().read()).as("the longest-waiting one made room").isEqualTo(-1);
                assertThat(status.httpMetrics().get("refused")).isZero();
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> status.httpMetrics().get("open") <= 1L);
        }
    }

    @Test
    void shouldRefuseAnOversizedRequestAndKeepServing() throws Exception {
        try (StatusServer status = new StatusServer(host, "127.0.0.1", 0)) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", status.port()), 5000);
                s.setSoTimeout(10_000);
                String huge = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n";
                s.getOutputStream().write(huge.getBytes(StandardCharsets.US_ASCII));
                String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(head).startsWith("HTTP/1.1 4");
            }
            assertThat(health(HttpClient.newHttpClient(), status.port())).isEqualTo(200);
        }
    }
}

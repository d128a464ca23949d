package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A host killed mid-traffic, for real, in another JVM: its peers become unreachable, nothing hangs. */
class HostFailureTest {
    @Test
    void shouldFailPendingSendsAndForgetPeersOfAKilledHost() throws Exception {
        try (Hosts hosts = new Hosts("tcp")) {
            Host h1 = hosts.start(hosts.builder(Hosts.unique("h")).reconnectTimeout(Duration.ofSeconds(2))
                    .requestTimeout(Duration.ofSeconds(10)));
            Peer sender = h1.create("sender");
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    CrashableHostMain.class.getName(), h1.info().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8));
                CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                    try {
                        String line;
                        while ((line = out.readLine()) != null) {
                            if (line.startsWith("READY ")) {
                                return line.substring(6);
                            }
                        }
                        throw new IllegalStateException("child exited before READY");
                    } catch (java.io.IOException e) {
                        throw new CompletionException(e);
                    }
                });
                String childHost = ready.get(60, TimeUnit.SECONDS);
                await().atMost(Hosts.WAIT).until(() -> h1.members().contains(childHost));
                sender.send("victim", "warm").get(10, TimeUnit.SECONDS);

                List<CompletableFuture<Void>> inFlight = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    inFlight.add(sender.send("victim", "m" + i));
                }
                child.destroyForcibly();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < 200; i++) {
                    inFlight.add(sender.send("victim", "after" + i));
                }
                int ok = 0;
                int unreachable = 0;
                for (CompletableFuture<Void> f : inFlight) {
                    try {
                        f.get(15, TimeUnit.SECONDS);
                        ok++;
                    } catch (ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOfAny(PeerUnreachableException.class,
                                PeerNotFoundException.class, RequestTimeoutException.class);
                        unreachable++;
                    }
                }
                assertThat(ok + unreachable).isEqualTo(inFlight.size());
                assertThat(unreachable).isPositive();
                await().atMost(Hosts.WAIT).until(() -> !h1.members().contains(childHost));
                try {
                    sender.send("victim", "gone").get(15, TimeUnit.SECONDS);
                    throw new AssertionError("a send to a peer of a dead host succeeded");
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(PeerNotFoundException.class);
                }
                assertThat(h1.metrics().get("pending")).isZero();
            } finally {
                child.destroyForcibly();
            }
        }
    }
}

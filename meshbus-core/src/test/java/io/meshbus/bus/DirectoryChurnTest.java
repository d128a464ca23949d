package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 100,000 peers over 10 hosts; hosts join and leave while lookups run; every lookup of a live peer succeeds. */
class DirectoryChurnTest {
    private static final int HOSTS = 10;
    private static final int PEERS_PER_HOST = 10_000;

    @Test
    void shouldFindEveryLivePeerWhileHostsJoinAndLeave() throws Exception {
        try (Hosts hosts = new Hosts("mem")) {
            List<Host> all = new ArrayList<>();
            Host asker = hosts.start(hosts.builder(Hosts.unique("asker")).directoryCacheSize(0));
            for (int i = 0; i < HOSTS; i++) {
                Host h = hosts.start();
                all.add(h);
                for (int p = 0; p < PEERS_PER_HOST; p++) {
                    h.create("p" + i + "-" + p);
                }
                Hosts.join(h, asker);
            }
            await().atMost(Hosts.WAIT).until(() -> asker.members().size() == HOSTS);
            await().atMost(Hosts.WAIT).until(() -> all.stream().allMatch(h -> h.members().size() == HOSTS));
            await().atMost(Hosts.WAIT).until(() -> all.stream().mapToLong(h -> h.metrics().get("directoryEntries"))
                    .sum() + asker.metrics().get("directoryEntries") > HOSTS * PEERS_PER_HOST);

            // Lookups of peers on hosts 0..7 run while two new hosts join and hosts 8 and 9 leave.
            AtomicBoolean churning = new AtomicBoolean(true);
            AtomicInteger found = new AtomicInteger();
            List<String> failures = new ArrayList<>();
            CompletableFuture<Void> lookups = CompletableFuture.runAsync(() -> {
                Random r = new Random(7);
                int done = 0;
                while (churning.get() || done < 2000) {
                    int host = r.nextInt(HOSTS - 2);
                    String peer = "p" + host + "-" + r.nextInt(PEERS_PER_HOST);
                    try {
                        HostAddress a = asker.find(peer).get(20, TimeUnit.SECONDS);
                        if (!a.hostId().equals(all.get(host).id())) {
                            failures.add(peer + " found on " + a.hostId());
                        }
                        found.incrementAndGet();
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(peer + ": " + e);
                        }
                    }
                    done++;
                }
            });
            Host n1 = hosts.start();
            Host n2 = hosts.start();
            Hosts.join(n1, all.get(0));
            all.get(8).close().get(20, TimeUnit.SECONDS);
            Hosts.join(n2, all.get(3));
            all.get(9).close().get(20, TimeUnit.SECONDS);
            churning.set(false);
            lookups.get(120, TimeUnit.SECONDS);
            assertThat(failures).isEmpty();
            assertThat(found.get()).isGreaterThanOrEqualTo(2000);
            // Each lookup costs a bounded number of messages, not one per host.
            long perLookup = asker.metrics().get("lookupMessages") / Math.max(1, found.get());
            assertThat(perLookup).isLessThanOrEqualTo(4);
        }
    }
}

package io.meshbus.netbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.meshbus.netbench.FaultResult.ModeFigures;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A short run of the network bench: three host JVMs in their own namespaces, every fault once (silent link drop,
 * rate cut, SIGSTOP, kill -9 and restart, partition, asymmetric reachability), each held a few seconds with a 2 s
 * idle timeout, traffic in every mode throughout. It holds the run to what GUARANTEES.md promises and checks that
 * nothing is left behind: no namespace with the run's prefix, no host JVM.
 *
 * <p>Needs root and iproute2; skipped with the reason otherwise, a failure under {@code MESHBUS_REQUIRE_BROKERS=1}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NetBenchIT {
    @Test
    void everyFaultEndsEveryFutureLosesNoAtLeastOnceMessageConvergesAndLeavesNothingBehind() throws IOException {
        String why = NetBench.unavailable();
        if (why != null) {
            if ("1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"))) {
                fail(why + "; MESHBUS_REQUIRE_BROKERS=1 makes this a failure");
            }
            Assumptions.abort(why);
        }
        NetBench.Options options = NetBench.Options.defaults(3, Duration.ofSeconds(30))
                .withKeepalive(Duration.ofMillis(500), Duration.ofSeconds(2)).withTimeout(Duration.ofSeconds(3));

        NetBench.Report report = NetBench.run(options, System.out);

        assertThat(report.faults()).hasSize(Fault.values().length);
        for (FaultResult r : report.faults()) {
            String f = r.description();
            for (ModeFigures m : r.modes()) {
                assertThat(m.hung()).as(f + ", " + m.mode() + ": futures that never ended").isZero();
                assertThat(m.untyped()).as(f + ", " + m.mode() + ": failures not typed " + m.failed()).isZero();
                assertThat(m.duplicated()).as(f + ", " + m.mode() + ": duplicated").isZero();
                assertThat(m.reordered()).as(f + ", " + m.mode() + ": reordered").isZero();
            }
            ModeFigures alo = r.mode(FaultResult.AT_LEAST_ONCE);
            assertThat(alo.lost()).as(f + ": at-least-once lost").isZero();
            assertThat(alo.sent()).as(f + ": at-least-once traffic flowed").isPositive();
            assertThat(r.mode(FaultResult.CONFIRMED).lost()).as(f + ": confirmed, completed but not delivered")
                    .isZero();
            assertThat(r.convergeMillis()).as(f + ": membership converged after the heal").isBetween(0L, 30_000L);
            assertThat(r.detection().detected()).as(f + ": dead links seen")
                    .isEqualTo(r.detection().expected());
        }
        assertThat(report.violations()).isEmpty();

        assertThat(Namespaces.all()).as("namespaces of the run left")
                .noneMatch(n -> n.startsWith(report.prefix()));
        List<Long> alive = report.hostPids().stream().filter(p -> ProcessHandle.of(p).isPresent()).toList();
        assertThat(alive).as("host JVMs left running").isEmpty();
    }
}

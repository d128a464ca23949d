package io.meshbus.bench.hostile;

import io.meshbus.bench.Resources;
import java.io.IOException;
import java.time.Duration;

/**
 * The host under attack and everything that watches it: its process, its gauges, and the normal client's two probes,
 * an echo request every {@link #ECHO_EVERY} and a {@code /health} request on a new connection every
 * {@link #HEALTH_EVERY}, both running from its start to its end. A {@link Watch} covers one phase of the run.
 */
final class Subject implements AutoCloseable {
    static final Duration ECHO_EVERY = Duration.ofMillis(5);
    static final Duration HEALTH_EVERY = Duration.ofMillis(250);
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(3);

    private final Resources resources;
    final HostProcess host;
    final HostGauges gauges;
    private final PacedProbe echo;
    private final PacedProbe health;

    private Subject(Resources resources, HostProcess host, HostGauges gauges, PacedProbe echo, PacedProbe health) {
        this.resources = resources;
        this.host = host;
        this.gauges = gauges;
        this.echo = echo;
        this.health = health;
    }

    /** Starts a host, its gauges and the normal client, whose requests carry {@code size} bytes. */
    static Subject start(int size) throws Exception {
        Resources r = new Resources();
        try {
            HostProcess host = r.add(HostProcess.start());
            HostGauges gauges = r.add(new HostGauges(host.pid()));
            EchoClient client = r.add(EchoClient.join(host.target().tcp(), size));
            PacedProbe echo = r.add(new PacedProbe("echo", ECHO_EVERY, client::request));
            PacedProbe health = r.add(new PacedProbe("health", HEALTH_EVERY,
                    () -> Sockets.health(host.target().status(), HEALTH_TIMEOUT)));
            return new Subject(r, host, gauges, echo, health);
        } catch (Exception e) {
            r.close();
            throw e;
        }
    }

    /** One phase being watched. */
    record Watch(PacedProbe.Phase echo, PacedProbe.Phase health, long logFrom) {
    }

    /** What a phase came to: both probes, the peaks, and what the host logged meanwhile. */
    record Watched(PacedProbe.Figures echo, PacedProbe.Figures health, HostGauges.Peaks peaks, long logBytes,
                   String log) {
    }

    Watch watch() throws IOException {
        gauges.takePeaks();
        return new Watch(echo.begin(), health.begin(), host.logSize());
    }

    Watched end(Watch w) throws IOException {
        PacedProbe.Figures e = echo.end(w.echo());
        PacedProbe.Figures h = health.end(w.health());
        long size = host.logSize();
        return new Watched(e, h, gauges.takePeaks(), size - w.logFrom(), host.logSince(w.logFrom()));
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}

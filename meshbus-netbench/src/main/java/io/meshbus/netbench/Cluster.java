package io.meshbus.netbench;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.netbench.FaultResult.ProcessFigures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The bench's host JVMs, one per namespace of a {@link Namespaces}, and what the bench asks of all of them at once:
 * start, status, traffic on and off, reports, link events. It is the {@link Fault.Lab} the faults act through.
 *
 * <p>Threads: the bench's thread drives it; {@link #kill()} may run on the shutdown hook at the same time, which is why
 * the hosts sit in a concurrent map.
 */
final class Cluster implements Fault.Lab {
    private static final Duration READY = Duration.ofSeconds(90);
    private static final Duration ANSWER = Duration.ofSeconds(10);
    static final int PORT = 7400;

    private final Namespaces net;
    private final int hosts;
    private final BenchSettings settings;
    private final Path logs;
    private final Map<Integer, HostJvm> jvms = new ConcurrentHashMap<>();
    /** Hosts stopped by SIGSTOP: not asked anything until continued. */
    private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();
    /** Every JVM started, restarts included: none may be left running at the end. */
    private final List<Long> started = new CopyOnWriteArrayList<>();
    private volatile String phase;

    Cluster(Namespaces net, int hosts, BenchSettings settings, Path logs) {
        this.net = net;
        this.hosts = hosts;
        this.settings = settings;
        this.logs = logs;
    }

    /** Starts host 1, then the others one by one, each joining through those before it. */
    void start() throws IOException {
        List<String> seeds = new ArrayList<>();
        for (int i = 1; i <= hosts; i++) {
            HostSpec spec = new HostSpec(i, 1, hosts, address(i), List.copyOf(seeds), settings);
            put(i, HostJvm.start(net.namespace(i), spec, log(i), READY));
            seeds.add(address(i));
        }
    }

    private void put(int host, HostJvm jvm) {
        jvms.put(host, jvm);
        started.add(jvm.pid());
    }

    private String address(int i) {
        return "tcp://" + net.address(i) + ":" + PORT;
    }

    private Path log(int i) {
        return logs.resolve(HostSpec.hostId(i) + ".log");
    }

    int hosts() {
        return hosts;
    }

    @Override
    public Namespaces net() {
        return net;
    }

    @Override
    public void signal(int host, String signal) throws IOException {
        jvms.get(host).signal(signal);
        if (signal.equals("STOP")) {
            stopped.add(host);
        } else {
            stopped.remove(host);
        }
    }

    @Override
    public void kill(int host) {
        jvms.get(host).kill();
    }

    /** A new incarnation of {@code host}, joining through every other host, sending the current phase's traffic. */
    @Override
    public void restart(int host) throws IOException {
        List<String> seeds = new ArrayList<>();
        for (int i = 1; i <= hosts; i++) {
            if (i != host) {
                seeds.add(address(i));
            }
        }
        HostSpec spec = jvms.get(host).spec().restarted().withSeeds(seeds);
        HostJvm next = HostJvm.start(net.namespace(host), spec, log(host), READY);
        put(host, next);
        if (phase != null) {
            next.call("TRAFFIC " + phase, ANSWER);
        }
    }

    JsonNode call(int host, String command) throws IOException {
        return jvms.get(host).call(command, ANSWER);
    }

    /** Every host sends {@code newPhase}'s traffic (null: none). */
    void traffic(String newPhase) throws IOException {
        phase = newPhase;
        for (int i = 1; i <= hosts; i++) {
            call(i, newPhase == null ? "QUIET" : "TRAFFIC " + newPhase);
        }
    }

    /** Each host's status; a host that does not answer (stopped, dead) is missing. */
    Map<Integer, JsonNode> statuses(boolean gc) {
        Map<Integer, JsonNode> s = new LinkedHashMap<>();
        for (int i = 1; i <= hosts; i++) {
            if (stopped.contains(i) || !jvms.get(i).alive()) {
                continue;
            }
            try {
                s.put(i, call(i, gc ? "STATUS gc" : "STATUS"));
            } catch (IOException e) {
                // not answering now: the caller polls again or reports the host as missing
            }
        }
        return s;
    }

    /** Every host lists every other as a member, with its link up. */
    boolean converged() {
        Map<Integer, JsonNode> s = statuses(false);
        if (s.size() < hosts) {
            return false;
        }
        for (Map.Entry<Integer, JsonNode> e : s.entrySet()) {
            Set<String> want = new HashSet<>();
            for (int i = 1; i <= hosts; i++) {
                if (i != e.getKey()) {
                    want.add(HostSpec.hostId(i));
                }
            }
            if (!strings(e.getValue().path("members")).equals(want)
                    || !strings(e.getValue().path("connected")).equals(want)) {
                return false;
            }
        }
        return true;
    }

    /** No host has a future outstanding; with {@code streams}, no at-least-once message awaits an acknowledgement. */
    boolean drained(boolean streams) {
        Map<Integer, JsonNode> s = statuses(false);
        if (s.size() < hosts) {
            return false;
        }
        for (JsonNode n : s.values()) {
            if (n.path("outstanding").asLong() > 0 || streams && n.path("unacknowledged").asLong() > 0) {
                return false;
            }
        }
        return true;
    }

    Map<Integer, JsonNode> reports(String of) throws IOException {
        Map<Integer, JsonNode> r = new LinkedHashMap<>();
        for (int i = 1; i <= hosts; i++) {
            r.put(i, call(i, "REPORT " + of));
        }
        return r;
    }

    Map<Integer, JsonNode> events() throws IOException {
        Map<Integer, JsonNode> r = new LinkedHashMap<>();
        for (int i = 1; i <= hosts; i++) {
            r.put(i, call(i, "EVENTS"));
        }
        return r;
    }

    /** Each host's process figures (heap after a full GC), or an empty figure for a host that did not answer. */
    Map<Integer, ProcessFigures> processes() {
        Map<Integer, JsonNode> s = statuses(true);
        Map<Integer, ProcessFigures> p = new LinkedHashMap<>();
        for (int i = 1; i <= hosts; i++) {
            JsonNode n = s.get(i);
            p.put(i, n == null ? new ProcessFigures(-1, -1, -1, -1, -1, -1)
                    : new ProcessFigures(n.path("pid").asLong(), n.path("heapUsed").asLong(),
                            n.path("heapMax").asLong(), n.path("threads").asLong(), n.path("fds").asLong(),
                            rssKb(n.path("pid").asLong())));
        }
        return p;
    }

    private static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return -1;
    }

    /** The pids of every JVM started, restarted ones included. */
    List<Long> startedPids() {
        return List.copyOf(started);
    }

    String logTail(int host) {
        return jvms.get(host).logTail();
    }

    /** Asks every host to leave; kills those that do not. */
    void close() {
        for (int i : new ArrayList<>(jvms.keySet())) {
            if (stopped.remove(i)) {
                Commands.attempt("kill", "-CONT", Long.toString(jvms.get(i).pid()));
            }
        }
        jvms.values().parallelStream().forEach(HostJvm::close);
    }

    /** For the shutdown hook: SIGKILL to every host, nothing asked. */
    void kill() {
        jvms.values().forEach(HostJvm::kill);
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> s = new HashSet<>();
        array.forEach(n -> s.add(n.asText()));
        return s;
    }
}

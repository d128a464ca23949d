package io.meshbus.netbench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bench's network: one namespace per host, each with one veth ({@code eth0}) whose other end is a port
 * ({@code h1}, {@code h2}, ...) of a bridge in a namespace of its own, like machines cabled to one switch. Addresses
 * are a private /24 that exists only inside these namespaces; nothing is configured in the machine's own namespace.
 *
 * <p>Names carry the run's prefix {@code mb<pid>-}: namespace names are global on the machine, and a prefix whose pid
 * no longer lives marks a leftover of a run that died, which {@link #removeLeftovers} removes. The veths are created
 * straight into their namespaces, so their short names never meet another run's.
 *
 * <p>The faults act on the network from outside the hosts' processes:
 * <ul>
 * <li>{@link #linkDown}: the bridge's port of a host set down, a cable pulled at the switch: frames vanish both ways,
 * no RST, no FIN.</li>
 * <li>{@link #rateCut}: {@code tc tbf} on both ends of a host's cable.</li>
 * <li>{@link #cut} between two hosts: each one's neighbour entry for the other is pinned to the bridge's own MAC
 * address, so their frames to each other reach the bridge's stack, which has no address and does not forward, and
 * vanish; every other pair still talks. This is how partitions and asymmetric reachability are made: this kernel
 * has no {@code tc} filters or netem, and no firewall tools are installed.</li>
 * </ul>
 *
 * <p>Threads: the bench's thread builds and faults it; {@link #close} may also run on the shutdown hook, so the list
 * of what was created is guarded by this object.
 */
final class Namespaces implements AutoCloseable {
    private static final Pattern RUN_PREFIX = Pattern.compile("^mb(\\d+)-\\S*");
    /** The bridge's own MAC address: frames sent to it are swallowed by the bridge namespace. */
    private static final String SINK_MAC = "02:00:00:00:00:fe";
    private static final String BRIDGE = "br0";
    private static final String DEV = "eth0";

    private final String prefix;
    private final String subnet;
    private final int hosts;
    private final List<String> created = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    private Namespaces(String prefix, String subnet, int hosts) {
        this.prefix = prefix;
        this.subnet = subnet;
        this.hosts = hosts;
    }

    /** The run's prefix from this process's pid: unique on the machine while the process lives. */
    static String runPrefix() {
        return "mb" + ProcessHandle.current().pid() + "-";
    }

    /**
     * Creates the bridge and {@code hosts} host namespaces cabled to it, with addresses {@code 10.213.K.1}, ...
     * ({@code K} from the pid: two runs have separate bridges anyway, the subnet only helps when reading captures).
     */
    static Namespaces create(String prefix, int hosts) throws IOException {
        int k = (int) (ProcessHandle.current().pid() % 250) + 1;
        Namespaces n = new Namespaces(prefix, "10.213." + k + ".", hosts);
        try {
            n.build();
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void build() throws IOException {
        String br = bridgeNamespace();
        add(br);
        Commands.run("ip", "-n", br, "link", "set", "lo", "up");
        Commands.run("ip", "-n", br, "link", "add", BRIDGE, "address", SINK_MAC, "type", "bridge");
        Commands.run("ip", "-n", br, "link", "set", BRIDGE, "up");
        for (int i = 1; i <= hosts; i++) {
            String ns = namespace(i);
            add(ns);
            Commands.run("ip", "link", "add", DEV, "netns", ns, "type", "veth", "peer", "name", port(i), "netns", br);
            Commands.run("ip", "-n", br, "link", "set", port(i), "master", BRIDGE);
            Commands.run("ip", "-n", br, "link", "set", port(i), "up");
            Commands.run("ip", "-n", ns, "link", "set", "lo", "up");
            Commands.run("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", DEV);
            Commands.run("ip", "-n", ns, "link", "set", DEV, "up");
        }
    }

    private void add(String ns) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the network is being torn down");
            }
            created.add(ns);
        }
        Commands.run("ip", "netns", "add", ns);
    }

    String prefix() {
        return prefix;
    }

    /** Host {@code i}'s namespace (1-based). */
    String namespace(int i) {
        return prefix + "h" + i;
    }

    String address(int i) {
        return subnet + i;
    }

    private String bridgeNamespace() {
        return prefix + "br";
    }

    private static String port(int i) {
        return "h" + i;
    }

    /** Silent drop of everything to and from host {@code i}: its switch port goes down. */
    void linkDown(int i) throws IOException {
        Commands.run("ip", "-n", bridgeNamespace(), "link", "set", port(i), "down");
    }

    void linkUp(int i) throws IOException {
        Commands.run("ip", "-n", bridgeNamespace(), "link", "set", port(i), "up");
    }

    /** Host {@code i}'s cable carries at most {@code rate} ({@code tc} units, e.g. {@code 256kbit}) each way. */
    void rateCut(int i, String rate) throws IOException {
        for (String[] end : ends(i)) {
            Commands.run("ip", "netns", "exec", end[0], "tc", "qdisc", "replace", "dev", end[1], "root", "tbf",
                    "rate", rate, "burst", "32kbit", "latency", "400ms");
        }
    }

    void rateRestore(int i) throws IOException {
        for (String[] end : ends(i)) {
            Commands.run("ip", "netns", "exec", end[0], "tc", "qdisc", "del", "dev", end[1], "root");
        }
    }

    private String[][] ends(int i) {
        return new String[][] {{namespace(i), DEV}, {bridgeNamespace(), port(i)}};
    }

    /** Hosts {@code i} and {@code j} no longer reach each other, both ways; the others still reach both. */
    void cut(int i, int j) throws IOException {
        pin(i, j);
        pin(j, i);
    }

    /** Undoes {@link #cut}: the neighbour entries are deleted and resolved afresh by ARP at the next packet. */
    void restore(int i, int j) throws IOException {
        Commands.run("ip", "-n", namespace(i), "neigh", "del", address(j), "dev", DEV);
        Commands.run("ip", "-n", namespace(j), "neigh", "del", address(i), "dev", DEV);
    }

    private void pin(int from, int to) throws IOException {
        Commands.run("ip", "-n", namespace(from), "neigh", "replace", address(to), "lladdr", SINK_MAC, "nud",
                "permanent", "dev", DEV);
    }

    /** The pids of the processes in host {@code i}'s namespace, as the kernel sees them. */
    List<Long> pids(int i) {
        return pidsIn(namespace(i));
    }

    /** This run's namespaces that exist now (none after {@link #close}). */
    List<String> existing() {
        return all().stream().filter(n -> n.startsWith(prefix)).toList();
    }

    /** Kills what still runs in this run's namespaces, then deletes them (their veths go with them). Idempotent. */
    @Override
    public void close() {
        List<String> toDelete;
        synchronized (this) {
            closed = true;
            toDelete = new ArrayList<>(created);
            created.clear();
        }
        // Whatever was never created is simply not found; a namespace made by a previous run under this prefix
        // (the pid reused) goes too.
        for (String ns : existing()) {
            if (!toDelete.contains(ns)) {
                toDelete.add(ns);
            }
        }
        for (String ns : toDelete) {
            delete(ns);
        }
    }

    /**
     * Removes the namespaces of earlier runs that died without tearing down: those whose prefix names a pid that no
     * longer runs. A live run's namespaces are left alone.
     *
     * @return the namespaces removed
     */
    static List<String> removeLeftovers(Consumer<String> log) {
        List<String> removed = new ArrayList<>();
        for (String ns : all()) {
            Matcher m = RUN_PREFIX.matcher(ns);
            if (!m.matches()) {
                continue;
            }
            long pid = Long.parseLong(m.group(1));
            if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isPresent()) {
                continue;
            }
            log.accept("removing " + ns + ", left over by an earlier run");
            delete(ns);
            removed.add(ns);
        }
        return removed;
    }

    /** Namespaces a process inside keeps alive after {@code ip netns del}: those processes are killed first. */
    private static void delete(String ns) {
        for (long pid : pidsIn(ns)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                    .exceptionally(e -> p).join());
        }
        Commands.attempt("ip", "netns", "del", ns);
    }

    private static List<Long> pidsIn(String ns) {
        try {
            return Commands.run("ip", "netns", "pids", ns).lines().map(String::strip).filter(l -> !l.isEmpty())
                    .map(Long::parseLong).toList();
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    /** Every namespace on the machine, by name. */
    static List<String> all() {
        try {
            // "name (id: 3)" or just "name"
            return Commands.run("ip", "netns", "list").lines().map(l -> l.strip().split("\\s+")[0])
                    .filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}

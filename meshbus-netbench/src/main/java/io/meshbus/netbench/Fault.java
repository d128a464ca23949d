package io.meshbus.netbench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The faults the bench injects, from outside the hosts' processes, and what each is expected to do: which hosts'
 * links to which others should be seen dead (the detection the table times), and which hosts die (whose flows are
 * not held to the at-least-once promise, which holds while both hosts live).
 *
 * <p>Each fault picks its victim from its position in the run, so over a run different hosts take the blows (the
 * first host, every other host's seed, among them).
 */
public enum Fault {
    /** The victim's switch port goes down, then up: silent drop both ways. */
    LINK_DOWN("link-down") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            lab.net().linkDown(victim);
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            lab.net().linkUp(victim);
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            return bothWays(List.of(victim), others(victim, hosts));
        }
    },
    /** {@code tc tbf} at 256 kbit/s on both ends of the victim's cable, then removed. */
    RATE_CUT("rate-cut") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            lab.net().rateCut(victim, RATE);
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            lab.net().rateRestore(victim);
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            return List.of();
        }
    },
    /** SIGSTOP of the victim's JVM, then SIGCONT: a host that hangs, its kernel still acknowledging TCP. */
    SIGSTOP("sigstop") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            lab.signal(victim, "STOP");
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            lab.signal(victim, "CONT");
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            List<int[]> d = new ArrayList<>();
            for (int o : others(victim, hosts)) {
                d.add(new int[] {o, victim});
            }
            return d;
        }

        @Override
        Set<Integer> frozen(int victim) {
            return Set.of(victim);
        }
    },
    /** SIGKILL of the victim's JVM, then a new one with the same id and address. */
    KILL_RESTART("kill-9-restart") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            lab.kill(victim);
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            lab.restart(victim);
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            return SIGSTOP.detections(victim, hosts);
        }

        @Override
        Set<Integer> killed(int victim) {
            return Set.of(victim);
        }
    },
    /** The network split in two halves (the first half of the hosts and the rest), then healed. */
    PARTITION("partition") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            for (int[] pair : bothWays(firstHalf(hosts), secondHalf(hosts))) {
                if (pair[0] < pair[1]) {
                    lab.net().cut(pair[0], pair[1]);
                }
            }
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            for (int[] pair : bothWays(firstHalf(hosts), secondHalf(hosts))) {
                if (pair[0] < pair[1]) {
                    lab.net().restore(pair[0], pair[1]);
                }
            }
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            return bothWays(firstHalf(hosts), secondHalf(hosts));
        }

        @Override
        List<int[]> affected(int victim, int hosts) {
            return detections(victim, hosts);
        }

        @Override
        String describe(int victim, int hosts) {
            return "partition " + names(firstHalf(hosts)) + " / " + names(secondHalf(hosts));
        }
    },
    /** The victim cut off from some hosts while the others still reach it (and everyone else). */
    ASYMMETRIC("asymmetric") {
        @Override
        void inject(Lab lab, int victim, int hosts) throws IOException {
            for (int o : unreached(victim, hosts)) {
                lab.net().cut(victim, o);
            }
        }

        @Override
        void heal(Lab lab, int victim, int hosts) throws IOException {
            for (int o : unreached(victim, hosts)) {
                lab.net().restore(victim, o);
            }
        }

        @Override
        List<int[]> detections(int victim, int hosts) {
            return bothWays(List.of(victim), unreached(victim, hosts));
        }

        @Override
        List<int[]> affected(int victim, int hosts) {
            return detections(victim, hosts);
        }

        @Override
        String describe(int victim, int hosts) {
            List<Integer> reached = new ArrayList<>(others(victim, hosts));
            reached.removeAll(unreached(victim, hosts));
            return "asymmetric: h" + victim + " cut from " + names(unreached(victim, hosts)) + ", reached by "
                    + names(reached);
        }
    };

    static final String RATE = "64kbit";

    private final String label;

    Fault(String label) {
        this.label = label;
    }

    /** The name on the command line and in the tables. */
    public String label() {
        return label;
    }

    /** The fault named {@code label} on the command line. */
    public static Fault of(String label) {
        for (Fault f : values()) {
            if (f.label.equals(label) || f.name().equalsIgnoreCase(label)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown fault " + label + "; known: " + labels());
    }

    public static String labels() {
        List<String> l = new ArrayList<>();
        for (Fault f : values()) {
            l.add(f.label);
        }
        return String.join(", ", l);
    }

    abstract void inject(Lab lab, int victim, int hosts) throws IOException;

    abstract void heal(Lab lab, int victim, int hosts) throws IOException;

    /** Pairs (observer, target): the observer's link to the target should be seen dead. */
    abstract List<int[]> detections(int victim, int hosts);

    /**
     * Pairs (observer, target) whose link the fault acts on, both ways: the detections and, for a fault of one host,
     * every link of the victim (a stopped host sees its links dropped once it runs again, a rate cut may starve the
     * keepalives). A link that drops outside these was not the fault's doing.
     */
    List<int[]> affected(int victim, int hosts) {
        return bothWays(List.of(victim), others(victim, hosts));
    }

    /** Hosts that die in this fault. */
    Set<Integer> killed(int victim) {
        return Set.of();
    }

    /** Hosts whose process is stopped in this fault. */
    Set<Integer> frozen(int victim) {
        return Set.of();
    }

    String describe(int victim, int hosts) {
        return label + " of h" + victim + (this == RATE_CUT ? " (" + RATE + " each way)" : "");
    }

    /** What the faults act on: the network, and the hosts' processes. */
    interface Lab {
        Namespaces net();

        void signal(int host, String signal) throws IOException;

        void kill(int host) throws IOException;

        void restart(int host) throws IOException;
    }

    private static List<Integer> others(int victim, int hosts) {
        List<Integer> o = new ArrayList<>();
        for (int i = 1; i <= hosts; i++) {
            if (i != victim) {
                o.add(i);
            }
        }
        return o;
    }

    /** The hosts the asymmetric victim cannot reach: the first half of the others, at least one. */
    private static List<Integer> unreached(int victim, int hosts) {
        List<Integer> o = others(victim, hosts);
        return o.subList(0, Math.max(1, o.size() / 2));
    }

    private static List<Integer> firstHalf(int hosts) {
        List<Integer> h = new ArrayList<>();
        for (int i = 1; i <= (hosts + 1) / 2; i++) {
            h.add(i);
        }
        return h;
    }

    private static List<Integer> secondHalf(int hosts) {
        List<Integer> h = new ArrayList<>();
        for (int i = (hosts + 1) / 2 + 1; i <= hosts; i++) {
            h.add(i);
        }
        return h;
    }

    private static List<int[]> bothWays(List<Integer> a, List<Integer> b) {
        List<int[]> d = new ArrayList<>();
        for (int x : a) {
            for (int y : b) {
                d.add(new int[] {x, y});
                d.add(new int[] {y, x});
            }
        }
        return d;
    }

    private static String names(List<Integer> hosts) {
        List<String> n = new ArrayList<>();
        for (int h : hosts) {
            n.add("h" + h);
        }
        return "{" + String.join(",", n) + "}";
    }
}

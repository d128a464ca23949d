package io.meshbus.netbench;

import io.meshbus.netbench.FaultResult.HostFigures;
import io.meshbus.netbench.FaultResult.ModeFigures;
import io.meshbus.netbench.FaultResult.ProcessFigures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The bench's output: a header with the settings, one table per fault, and a summary as a Markdown table. */
public final class Tables {
    private Tables() {
    }

    static String header(NetBench.Options o, String prefix) {
        BenchSettings s = o.settings();
        String heap = String.join(" ", HostJvm.JVM_OPTIONS.subList(0, 2));
        return "network bench: " + o.hosts() + " hosts, one JVM each (" + heap + "), namespaces " + prefix
                + "*, faults: " + o.faults().stream().map(Fault::label).collect(Collectors.joining(", "))
                + ", each held " + seconds(o.hold().toMillis()) + "\n" + settings(s);
    }

    /** The settings that bound the figures, as the tables state them. */
    public static String settings(BenchSettings s) {
        return "keepalive: PING after " + seconds(s.heartbeatMs()) + " without a write, link dead after "
                + seconds(s.idleMs()) + " without a read; re-dial from " + seconds(s.reconnectDelayMs())
                + " doubling to " + seconds(s.reconnectMaxMs()) + ", member given up after " + seconds(s.giveUpMs())
                + "; timeouts (confirmed, at-least-once, requests) " + seconds(s.timeoutMs()) + "; each host sends "
                + "every mode to every other host every " + s.tickMs() + " ms";
    }

    /** One fault's table: detection, convergence, every mode, every host's process. */
    public static String fault(int n, int of, FaultResult r, NetBench.Options o) {
        StringBuilder sb = new StringBuilder();
        sb.append("\n== fault ").append(n).append('/').append(of).append(": ").append(r.description())
                .append(", held ").append(seconds(r.holdMillis())).append(" ==\n");
        FaultResult.Detection d = r.detection();
        if (d.expected() == 0) {
            sb.append("no link expected to die");
        } else {
            sb.append("dead link seen by ").append(d.detected()).append('/').append(d.expected())
                    .append(" observer->target pairs");
            if (d.detected() > 0) {
                sb.append(", after ").append(seconds(d.minMillis())).append(" to ").append(seconds(d.maxMillis()));
            }
        }
        sb.append("; further link drops: ").append(d.moreDrops()).append(" on the links it acts on, ")
                .append(d.collateralDrops()).append(" elsewhere");
        sb.append(" (link dead after ").append(seconds(o.settings().idleMs())).append(" without a read)\n");
        sb.append(r.convergeMillis() < 0 ? "membership did NOT converge after the heal"
                : "membership converged " + seconds(r.convergeMillis()) + " after the heal")
                .append(" (every host lists every other as a member, link up)\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"mode", "sent", "delivered", "timed out", "failed typed", "hung", "lost", "duplicated",
            "reordered"});
        for (ModeFigures m : r.modes()) {
            String hung = waits(m) ? m.hung() + (m.late() > 0 ? " (+" + m.late() + " late)" : "") : "-";
            rows.add(new String[] {m.mode(), num(m.sent()), m.delivered() + (m.expected() >= 0 ? " of "
                + m.expected() : ""), dash(m.timedOut(), m), failed(m.failed()), hung,
                m.lost() < 0 ? "-" : m.lost() + (m.excluded() > 0 ? " (" + m.excluded() + " flows to the dead host "
                    + "not counted)" : ""), num(m.duplicated()), num(m.reordered())});
        }
        sb.append(aligned(rows));
        List<String[]> hosts = new ArrayList<>();
        hosts.add(new String[] {"host", "pid", "heap MB", "threads", "fds", "rss MB"});
        for (HostFigures h : r.hosts()) {
            ProcessFigures b = h.before();
            ProcessFigures a = h.after();
            hosts.add(new String[] {h.host(), b.pid() == a.pid() ? num(a.pid()) : b.pid() + " -> " + a.pid(),
                mb(b.heapUsed()) + " -> " + mb(a.heapUsed()), b.threads() + " -> " + a.threads(),
                b.fds() + " -> " + a.fds(), kb(b.rssKb()) + " -> " + kb(a.rssKb())});
        }
        sb.append(aligned(hosts));
        return sb.toString();
    }

    /** One row per fault, as Markdown. */
    public static String summary(NetBench.Report report) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"fault", "held", "dead link seen", "converged after heal",
            "confirmed ok / failed typed / hung", "at-least-once ok / timed out / lost / dup",
            "requests answered / timed out / failed / hung", "fire-and-forget delivered / sent",
            "publishes delivered / expected", "queue group delivered / published / dup", "heap MB max after",
            "threads before -> after", "fds before -> after"});
        for (FaultResult r : report.faults()) {
            ModeFigures c = r.mode(FaultResult.CONFIRMED);
            ModeFigures a = r.mode(FaultResult.AT_LEAST_ONCE);
            ModeFigures q = r.mode(FaultResult.REQUESTS);
            ModeFigures f = r.mode(FaultResult.FORGET);
            ModeFigures p = r.mode(FaultResult.PUBLISHES);
            ModeFigures g = r.mode(FaultResult.QUEUE_GROUP);
            FaultResult.Detection d = r.detection();
            rows.add(new String[] {r.description(), seconds(r.holdMillis()),
                d.expected() == 0 ? "none expected (" + d.moreDrops() + " dropped)" : d.detected() < d.expected()
                    ? d.detected() + "/" + d.expected() + (d.detected() > 0 ? ", <= " + seconds(d.maxMillis()) : "")
                    : "<= " + seconds(d.maxMillis()),
                r.convergeMillis() < 0 ? "NO" : seconds(r.convergeMillis()),
                c.delivered() + " / " + (c.failedTotal() + c.timedOut()) + " / " + (c.hung() + c.late()),
                a.delivered() + " / " + a.timedOut() + " / " + a.lost() + " / " + (a.duplicated() + a.reordered()),
                q.delivered() + " / " + q.timedOut() + " / " + q.failedTotal() + " / " + (q.hung() + q.late()),
                f.delivered() + " / " + f.sent(), p.delivered() + " / " + p.expected(),
                g.delivered() + " / " + g.sent() + " / " + g.duplicated(),
                mb(r.hosts().stream().mapToLong(h -> h.after().heapUsed()).max().orElse(-1)),
                sum(r, true, false) + " -> " + sum(r, false, false),
                sum(r, true, true) + " -> " + sum(r, false, true)});
        }
        StringBuilder sb = new StringBuilder("\nsummary (" + report.options().hosts() + " hosts, "
                + seconds(report.elapsed().toMillis()) + " in all; threads and fds summed over the hosts)\n");
        sb.append(markdown(rows));
        return sb.toString();
    }

    private static long sum(FaultResult r, boolean before, boolean fds) {
        return r.hosts().stream().map(h -> before ? h.before() : h.after())
                .mapToLong(p -> fds ? p.fds() : p.threads()).sum();
    }

    private static boolean waits(ModeFigures m) {
        return m.mode().equals(FaultResult.CONFIRMED) || m.mode().equals(FaultResult.AT_LEAST_ONCE)
                || m.mode().equals(FaultResult.REQUESTS);
    }

    private static String dash(long v, ModeFigures m) {
        return waits(m) ? num(v) : "-";
    }

    private static String failed(Map<String, Long> failed) {
        if (failed.isEmpty()) {
            return "0";
        }
        return failed.entrySet().stream().map(e -> e.getKey().replace("Exception", "") + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }

    private static String num(long v) {
        return Long.toString(v);
    }

    static String seconds(long millis) {
        return millis < 0 ? "-" : String.format("%.1f s", millis / 1000.0);
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "-" : String.format("%.1f", bytes / 1048576.0);
    }

    private static String kb(long kb) {
        return kb < 0 ? "-" : String.format("%.0f", kb / 1024.0);
    }

    private static int[] widths(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        return w;
    }

    private static String aligned(List<String[]> rows) {
        int[] w = widths(rows);
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                line.append(String.format("%-" + w[c] + "s", r[c])).append(c < r.length - 1 ? "  " : "");
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String markdown(List<String[]> rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            sb.append("| ").append(String.join(" | ", rows.get(i))).append(" |\n");
            if (i == 0) {
                sb.append("|").append("---|".repeat(rows.get(0).length)).append('\n');
            }
        }
        return sb.toString();
    }
}

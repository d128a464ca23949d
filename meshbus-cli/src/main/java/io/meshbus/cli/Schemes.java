package io.meshbus.cli;

import io.meshbus.compat.Dialect;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Which protocol an address of {@code --listen} or {@code --join} speaks: the native one ({@code tcp}, {@code tls},
 * {@code ws}, {@code wss}, {@code mem}) or a Node dialect, by its scheme. Anything else is refused here, naming the
 * option, the address and the valid schemes, before anything starts.
 */
final class Schemes {
    static final List<String> NATIVE = List.of("tcp", "tls", "ws", "wss", "mem");
    static final List<String> VALID = List.of("tcp", "tls", "ws", "wss", "mem", "distribus+ws", "masterless+tcp",
            "distro+tcp", "distro+udp4", "distro+udp6");

    private Schemes() {
    }

    /** The dialect of the address ({@link Dialect#NATIVE} for the native schemes); throws for any other scheme. */
    static Dialect of(String option, String address) {
        URI uri;
        try {
            uri = new URI(address.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(option + ": '" + address + "' is not an address like tcp://host:port"
                    + " (valid schemes: " + String.join(", ", VALID) + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!VALID.contains(scheme)) {
            throw new IllegalArgumentException(option + ": unknown scheme '" + scheme + "' in " + address
                    + " (valid schemes: " + String.join(", ", VALID) + ")");
        }
        Dialect d = Dialect.of(uri);
        if (d != Dialect.NATIVE && (uri.getHost() == null || uri.getPort() < 0)) {
            throw new IllegalArgumentException(option + ": " + address + " needs a host and a port, like "
                    + scheme + "://127.0.0.1:0");
        }
        return d;
    }

    /** The host part without IPv6 brackets, as socket APIs take it. */
    static String host(URI uri) {
        String h = uri.getHost();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}

package io.meshbus.compat;

import java.net.URI;
import java.util.Locale;

/**
 * Which wire protocol an address speaks, by URI scheme: {@code distribus+ws://host:port},
 * {@code masterless+tcp://host:port}, {@code distro+tcp://}, {@code distro+udp4://}, {@code distro+udp6://}. Any
 * other scheme ({@code tcp}, {@code ws}, {@code mem}, ...) is the native Meshbus protocol, the default.
 */
public enum Dialect {
    NATIVE(null, null),
    DISTRIBUS("distribus", "ws"),
    MASTERLESS("masterless", "tcp"),
    DISTRO_TCP("distro", "tcp"),
    DISTRO_UDP4("distro", "udp4"),
    DISTRO_UDP6("distro", "udp6");

    private final String prefix;
    private final String carrier;

    Dialect(String prefix, String carrier) {
        this.prefix = prefix;
        this.carrier = carrier;
    }

    /** The dialect an address asks for. */
    public static Dialect of(URI uri) {
        String s = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        for (Dialect d : values()) {
            if (d.prefix != null && s.equals(d.scheme())) {
                return d;
            }
        }
        return NATIVE;
    }

    /** The URI scheme naming this dialect ({@code distribus+ws}); null for the native protocol. */
    public String scheme() {
        return prefix == null ? null : prefix + "+" + carrier;
    }

    /** The address as the Node originals write it: the scheme without the dialect prefix ({@code ws://h:p}). */
    public static URI strip(URI uri) {
        Dialect d = of(uri);
        if (d == NATIVE) {
            return uri;
        }
        return URI.create(d.carrier + uri.toString().substring(d.scheme().length()));
    }

    /** The inverse of {@link #strip}: {@code ws://h:p} becomes {@code distribus+ws://h:p}. */
    public URI wrap(String nodeAddress) {
        if (prefix == null || nodeAddress.startsWith(scheme() + ":")) {
            return URI.create(nodeAddress);
        }
        return URI.create(prefix + "+" + nodeAddress);
    }
}

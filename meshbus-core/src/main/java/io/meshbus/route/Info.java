package io.meshbus.route;

/** Where a server listens or a client sends: an address (default loopback) and a port (0 picks one for a server). */
public record Info(String address, int port) {
    public Info {
        if (address == null || address.isBlank()) {
            address = "127.0.0.1";
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: must be 0..65535, was " + port);
        }
    }

    public static Info port(int port) {
        return new Info(null, port);
    }
}

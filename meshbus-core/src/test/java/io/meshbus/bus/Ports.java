package io.meshbus.bus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for tests, never fixed ones: the system picks them (bind port 0) and the test reads them back. */
public final class Ports {
    private Ports() {
    }

    /**
     * A loopback port that was free a moment ago and that nobody listens on now: for a dead address to dial, or for a
     * server the test starts itself (a private broker, a Node process).
     */
    public static int unused() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

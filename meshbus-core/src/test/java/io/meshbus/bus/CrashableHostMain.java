package io.meshbus.bus;

import java.time.Duration;

/**
 * A host in its own JVM, so a test can kill it for real (SIGKILL): joins the seed given as the first argument,
 * creates the peer {@code victim}, prints {@code READY}, and waits until killed or until its stdin closes.
 */
public final class CrashableHostMain {
    private CrashableHostMain() {
    }

    public static void main(String[] args) throws Exception {
        Host h = Host.builder().listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50)).build();
        h.start().join();
        h.create("victim").onMessage((from, m) -> { });
        h.join(args[0]).join();
        System.out.println("READY " + h.id());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait: the test kills this process
        }
        System.exit(0);
    }
}

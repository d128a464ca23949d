package io.meshbus.bench.hostile;

import io.meshbus.bench.Options;
import java.time.Duration;

/**
 * How big each attack is, all from two options: {@code --count} is the number of connections of the largest attacks
 * (the silent and the half-sent upgrades, the connect/close storm), the others in proportion, and {@code --seconds}
 * how long the baseline measures and each flooder floods.
 *
 * @param upgrades      silent ws connections, and as many half-sent upgrades
 * @param slowStatus    status clients that send half a request
 * @param bigFrames     connections that send most of a largest frame before any handshake
 * @param refusedHellos refused HELLOs, each followed by DATA in the same write
 * @param flooders      clients in a row that flood the echo peer, never read, and are killed
 * @param storm         connections opened and closed at once
 * @param phase         the baseline's length, and each flooder's
 */
record Sizes(int upgrades, int slowStatus, int bigFrames, int refusedHellos, int flooders, int storm, Duration phase) {
    /** With the defaults: 5,000, 200, 200, 2,000, 5, 5,000 and 5 s. */
    static Sizes of(Options o) {
        int n = o.count();
        return new Sizes(n, Math.max(1, n / 25), Math.max(1, n / 25), Math.max(1, n * 2 / 5),
                Math.max(2, Math.min(5, n / 1000)), n, o.measure());
    }
}

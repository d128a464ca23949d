package io.meshbus.bench.hostile;

import java.time.Duration;

/** No attack: the baseline, measured the same way as the attacks in the same run, for as long as a flooder floods. */
final class Quiet implements Attack {
    static final String NAME = "baseline";

    private final Duration length;

    Quiet(Duration length) {
        this.length = length;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Outcome run(Target target) throws InterruptedException {
        // The phase's length, not a wait for something: the normal client is measured meanwhile.
        Thread.sleep(length.toMillis());
        return new Outcome();
    }
}

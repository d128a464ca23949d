package io.meshbus.bench;

/**
 * A scenario that measures a subject against its baseline in the same run, in turns, with the shared loops: a
 * concrete one says only which figures it takes; its name, description and two contenders are all that differ
 * between the scenarios of one kind.
 */
abstract class PairScenario implements Scenario {
    protected final String name;
    protected final String description;
    protected final Contender subject;
    protected final Contender baseline;

    PairScenario(String name, String description, Contender subject, Contender baseline) {
        this.name = name;
        this.description = description;
        this.subject = subject;
        this.baseline = baseline;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }
}

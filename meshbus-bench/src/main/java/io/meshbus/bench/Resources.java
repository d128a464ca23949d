package io.meshbus.bench;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a scenario set up, closed in the reverse order of opening however the run ended: the first failure to close
 * is thrown once all were tried, with the others suppressed.
 */
public final class Resources implements AutoCloseable {
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    /** Remembers {@code resource} for {@link #close} and returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    /** Closes {@code resource} now, ahead of the others, if it is one of them. */
    public void closeNow(AutoCloseable resource) throws Exception {
        if (opened.remove(resource)) {
            resource.close();
        }
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}

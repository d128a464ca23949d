package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.error.MeshbusException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/** Test helpers for calls made during a fault: each must end, completed or failed typed, and what they ended as. */
public final class Outcomes {
    private Outcomes() {
    }

    /** Every call ends within {@code seconds}: completed, or failed with a {@link MeshbusException}; none hangs. */
    public static void awaitEnded(List<CompletableFuture<?>> all, String what, long seconds)
            throws InterruptedException {
        for (CompletableFuture<?> f : all) {
            try {
                f.get(seconds, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).as(what + " failed typed").isInstanceOf(MeshbusException.class);
            } catch (TimeoutException e) {
                throw new AssertionError("a " + what + " neither completed nor failed", e);
            }
        }
    }

    /** How many ended as what: "ok", or the failure's type and message (for assertions and their messages). */
    public static Map<String, Long> of(List<CompletableFuture<?>> all) {
        return all.stream().collect(Collectors.groupingBy(f -> f.handle((v, e) -> e == null ? "ok"
                : e.getClass().getSimpleName() + ": " + e.getMessage()).join(), Collectors.counting()));
    }
}

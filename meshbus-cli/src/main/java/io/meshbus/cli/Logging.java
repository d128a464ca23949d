package io.meshbus.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** --verbose and --quiet: the library logs through SLF4J; the command line owns the Logback levels. */
final class Logging {
    private Logging() {
    }

    static void apply(boolean verbose, boolean quiet) {
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext)) {
            return;
        }
        Logger meshbus = (Logger) LoggerFactory.getLogger("io.meshbus");
        if (verbose) {
            meshbus.setLevel(Level.DEBUG);
        } else if (quiet) {
            meshbus.setLevel(Level.ERROR);
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.ERROR);
        }
    }
}

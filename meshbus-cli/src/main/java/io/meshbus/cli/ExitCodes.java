package io.meshbus.cli;

import io.meshbus.error.MeshbusException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.NoRespondersException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Exit codes scripts can rely on: 0 success, 1 any other failure, 2 bad usage, 3 peer not found, 4 unreachable or
 * nobody to answer, 5 timeout, 6 network id mismatch, 7 authentication failed.
 */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int UNREACHABLE = 4;
    static final int TIMEOUT = 5;
    static final int NETWORK_MISMATCH = 6;
    static final int AUTHENTICATION = 7;

    private ExitCodes() {
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static int of(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof PeerNotFoundException) {
            return NOT_FOUND;
        }
        if (e instanceof PeerUnreachableException || e instanceof NoRespondersException) {
            return UNREACHABLE;
        }
        if (e instanceof RequestTimeoutException || e instanceof java.util.concurrent.TimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof NetworkIdMismatchException) {
            return NETWORK_MISMATCH;
        }
        if (e instanceof io.meshbus.error.AuthenticationFailedException) {
            return AUTHENTICATION;
        }
        if (e instanceof IllegalArgumentException && !(e instanceof MeshbusException)) {
            return USAGE;
        }
        return FAILURE;
    }
}

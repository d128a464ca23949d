package io.meshbus.error;

/**
 * The broker under a backplane cannot be reached (refused, timed out, or down and reconnecting): a host on it can
 * neither join nor send. Retrying later is the remedy; the backplane reconnects by itself.
 */
public class BrokerUnavailableException extends PeerUnreachableException {
    public BrokerUnavailableException(String message) {
        super(message);
    }

    public BrokerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

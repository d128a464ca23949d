package io.meshbus.compat;

import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;

/** A distribus host answered a request with an error; the message is its text, exactly as it was sent. */
public class DistribusRemoteException extends MeshbusException {
    public DistribusRemoteException(String message) {
        super(ErrorCode.REMOTE_FAILURE, message);
    }
}

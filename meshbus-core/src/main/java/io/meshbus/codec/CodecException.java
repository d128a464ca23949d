package io.meshbus.codec;

import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;

/** A payload could not be encoded, or its bytes could not be decoded into the requested type. */
public class CodecException extends MeshbusException {
    public CodecException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN, message, cause);
    }
}

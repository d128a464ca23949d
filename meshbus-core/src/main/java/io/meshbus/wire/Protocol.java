package io.meshbus.wire;

/** Constants of the wire protocol; PROTOCOL.md is the normative description. */
public final class Protocol {
    /**
     * Version spoken by this build; the handshake refuses any other. Version 2 added the CREDENTIAL frame, version 3
     * the TALLY frame.
     */
    public static final int VERSION = 3;
    /** First four bytes of a HELLO body: "MSHB". Lets a node reject a stranger (an HTTP client, say) at once. */
    public static final int MAGIC = 0x4D534842;
    /** Bytes of the length prefix in front of every frame. */
    public static final int LENGTH_FIELD = 4;
    /** Default maximum frame size (type byte + body), 4 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;
    /** Smallest maximum frame size a node accepts as configuration: a handshake must fit. */
    public static final int MIN_MAX_FRAME_SIZE = 1024;

    public static final byte HELLO = 0x01;
    public static final byte ACCEPT = 0x02;
    public static final byte REJECT = 0x03;
    public static final byte KEEP = 0x04;
    public static final byte PING = 0x05;
    public static final byte BYE = 0x06;
    public static final byte CHALLENGE = 0x07;
    public static final byte PROOF = 0x08;
    public static final byte CREDENTIAL = 0x09;
    public static final byte TALLY = 0x0A;
    /** Most bytes of a credential (a u16 length on the wire). */
    public static final int MAX_CREDENTIAL = 65_535;
    /** Most characters (UTF-16 code units) of a node id; at least one. */
    public static final int MAX_ID_LENGTH = 1024;
    /**
     * Largest frame (type byte + body) a side accepts before its handshake completed, CREDENTIAL excepted: a HELLO
     * (16 fixed bytes) with an id and an expected id of 1,024 characters (3,072 bytes of UTF-8 each, plus their
     * lengths) and an address of up to 2,026 bytes fits, and so does every other handshake frame this build sends.
     * A connection that has proved nothing cannot make a node buffer the 4 MiB frame limit.
     */
    public static final int MAX_HANDSHAKE_FRAME = 8 * 1024;
    /** A CREDENTIAL's own largest frame: type byte, u16 length, {@link #MAX_CREDENTIAL} bytes. */
    public static final int MAX_CREDENTIAL_FRAME = 1 + 2 + MAX_CREDENTIAL;
    /** Bytes of an authentication nonce. */
    public static final int NONCE = 16;
    /** Bytes of an authentication proof (HMAC-SHA256). */
    public static final int PROOF_SIZE = 32;
    public static final byte DATA = 0x10;

    private Protocol() {
    }
}

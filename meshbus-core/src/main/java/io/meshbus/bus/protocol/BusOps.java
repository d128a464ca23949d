package io.meshbus.bus.protocol;

import io.meshbus.codec.ContentType;
import io.meshbus.error.ErrorCode;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bus protocol's vocabulary: every operation a host sends another, by name, and the few rules about reading
 * them. A bus message is a node message whose {@link #OP} header names the operation, followed for those that expect
 * an answer by a decimal sequence number ({@code s42}); ARCHITECTURE.md has the table of payloads.
 *
 * <p>Operations are dispatched on their first letter (see {@code Host}); a family with several operations
 * ({@code d}, {@code p}, {@code c}, {@code z}) is told apart by its second letter inside the room that owns it.
 */
public final class BusOps {
    /** Header carrying the bus operation (and its sequence number). */
    public static final String OP = "bus";

    // membership
    public static final String HELLO = "h";
    public static final String MISMATCH = "x";
    public static final String MEMBERS = "m";
    public static final String LEAVE = "l";
    // peer messages and their answers
    public static final String SEND = "s";
    public static final String FORGET = "f";
    public static final String REQUEST = "q";
    public static final String ACKS = "a";
    public static final String REPLY = "r";
    public static final String ERROR = "e";
    // at least once
    public static final String STREAM_MESSAGE = "u";
    public static final String STREAM_ACK = "k";
    public static final String STREAM_REFUSAL = "n";
    // directory and listing
    public static final String REGISTER = "dr";
    public static final String UNREGISTER = "du";
    public static final String HOLDS = "dh";
    public static final String HOLDS_ANSWER = "dH";
    public static final String TAKEN = "dx";
    public static final String LOOKUP = "dl";
    public static final String LOOKUP_ANSWER = "dL";
    public static final String LIST = "pl";
    public static final String LIST_ANSWER = "pL";
    // resolvers
    public static final String RESOLVES = "z+";
    public static final String RESOLVE = "zr";
    public static final String RESOLVE_ANSWER = "zR";
    // channels
    public static final String INTERESTS = "cs";
    public static final String INTEREST_ADD = "ca";
    public static final String INTEREST_ADDED = "cA";
    public static final String INTEREST_REMOVE = "cr";
    public static final String PUBLISH = "cp";
    public static final String GROUP_PUBLISH = "cq";
    public static final String BROADCAST = "b";
    public static final String PATTERN = "g";

    private BusOps() {
    }

    /** A control message: the op header added to {@code headers}, the payload encoded by the standard rule. */
    public static Message control(String op, Headers headers, Object payload) {
        return Message.of(headers.with(OP, op), payload);
    }

    public static Message control(String op, Object payload) {
        return control(op, Headers.EMPTY, payload);
    }

    /** The failure of operation {@code seqText}: its code travels in the status header, its text as the payload. */
    public static Message error(String seqText, ErrorCode code, String text) {
        return control(ERROR + seqText, Headers.of(Headers.STATUS, Integer.toString(code.wire())), text);
    }

    /** The answer to an op that expects one: its second letter upper-cased, the same sequence number. */
    public static String answerOf(String op) {
        return op.charAt(0) + op.substring(1, 2).toUpperCase(Locale.ROOT) + op.substring(2);
    }

    /** The sequence number after the op's {@code prefix} letters, or -1 when there is none or it is malformed. */
    public static long seq(String op, int prefix) {
        int n = op.length();
        if (n <= prefix || n - prefix > 19) {
            return -1;
        }
        long v = 0;
        for (int i = prefix; i < n; i++) {
            char c = op.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v < 0 ? -1 : v;
    }

    /** Peer ids as a payload: each as a 4-byte length and its UTF-8 bytes. */
    public static Message ids(String op, List<String> ids) {
        return encode(op, ids, null);
    }

    /** Peer claims as a payload: each id as in {@link #ids}, then its 8-byte creation time. */
    public static Message claims(String op, List<String> ids, long[] createdAt) {
        return encode(op, ids, createdAt);
    }

    private static Message encode(String op, List<String> ids, long[] createdAt) {
        int stamp = createdAt == null ? 0 : 8;
        List<byte[]> raw = new ArrayList<>(ids.size());
        int size = 0;
        for (String s : ids) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            raw.add(b);
            size += 4 + stamp + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (int i = 0; i < raw.size(); i++) {
            out.putInt(raw.get(i).length).put(raw.get(i));
            if (createdAt != null) {
                out.putLong(createdAt[i]);
            }
        }
        return Message.ofBytes(Headers.of(OP, op), ContentType.BYTES, out.array());
    }

    /** Receives the claims of a {@link #claims} payload, in order. */
    public interface ClaimSink {
        void claim(String peerId, long createdAt);
    }

    /** Reads a {@link #claims} payload; a truncated tail is ignored. */
    public static void claims(ByteBuffer in, ClaimSink sink) {
        decode(in, 8, sink);
    }

    /** The ids of an {@link #ids} payload; a truncated tail is ignored. */
    public static List<String> ids(ByteBuffer in) {
        List<String> ids = new ArrayList<>();
        decode(in, 0, (id, at) -> ids.add(id));
        return ids;
    }

    private static void decode(ByteBuffer in, int stamp, ClaimSink sink) {
        while (in.remaining() >= 4) {
            int n = in.getInt();
            if (n < 0 || n > in.remaining() - stamp) {
                break;
            }
            byte[] b = new byte[n];
            in.get(b);
            sink.claim(new String(b, StandardCharsets.UTF_8), stamp == 0 ? 0 : in.getLong());
        }
    }
}

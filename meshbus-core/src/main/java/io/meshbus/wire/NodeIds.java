package io.meshbus.wire;

/**
 * The rule for node ids (PROTOCOL.md, HELLO): 1 to {@link Protocol#MAX_ID_LENGTH} characters (UTF-16 code units, as
 * Java counts them) that are valid Unicode, so they encode to valid UTF-8 and back unchanged. Checked where an id is
 * made (a node's options) and where one arrives (a handshake); the wire decoder refuses ids that are not valid UTF-8.
 */
public final class NodeIds {
    private NodeIds() {
    }

    /** What is wrong with {@code id}, or null when it is a valid node id. */
    public static String problem(String id) {
        if (id == null || id.isEmpty()) {
            return "a node id must not be empty";
        }
        if (id.length() > Protocol.MAX_ID_LENGTH) {
            return "a node id has at most " + Protocol.MAX_ID_LENGTH + " characters, this one " + id.length();
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "a node id must be valid Unicode: unpaired surrogate at index " + i;
            }
        }
        return null;
    }
}

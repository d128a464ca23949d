package io.meshbus.compat;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * masterless 0.4.1's link state towards one other node: at most one outgoing connection ({@link #local()}, the one
 * this node dialled) and one incoming ({@link #remote()}), each a {@link Side} of a {@link LinkState} and a priority.
 * Both nodes run the same table, so two nodes that dial each other at once keep exactly one of the two connections.
 * The port is faithful to masterless's {@code onlocalconn} / {@code onremoteconn} / {@code onhandshake}; the
 * connection ({@link MasterlessConnection}) writes the records and closes, this class only decides.
 *
 * <pre>
 * connection  event               condition                          transition                    then
 * ----------  ------------------  ---------------------------------  ----------------------------  -------------------------
 * outgoing    {"id"} arrives      local != NOT_CONNECTED             -                             send {"priority":0}, close
 *                                                                                                   (DUPLICATE_OUTGOING)
 *                                 remote == CONNECTED                local := NOT_CONNECTED, 0     send {"priority":0}, close
 *                                                                                                   (DUPLICATE)
 *                                 otherwise                          local := CONNECTING, p where  send {"priority":p}
 *                                                                    p = random in (0, 1) if
 *                                                                    remote == CONNECTING, else 1
 *             {"confirm":true}    -                                  local := CONNECTED, 1         link up
 *             failure             reconnect first if remote is idle  local := NOT_CONNECTED, 0     close
 *             bad record, close   -                                  local := NOT_CONNECTED, 0     close
 * incoming    {"id","info"}       remote != NOT_CONNECTED            -                             close (DUPLICATE_INCOMING)
 *                                 local != NOT_CONNECTED             remote := NOT_CONNECTED, 0    close (DUPLICATE)
 *                                 otherwise                          remote := CONNECTING          send {"id"}
 *             {"priority":p}      local == CONNECTED                 remote := NOT_CONNECTED, 0    close (DUPLICATE)
 *                                 local == CONNECTING and            remote := NOT_CONNECTED, 0    close (LOST_RACE)
 *                                 p &lt; local's priority
 *                                 otherwise                          remote := CONNECTED, 1        send {"confirm":true},
 *                                                                                                   link up
 *             failure             reconnect first if local is idle   remote := NOT_CONNECTED, 0    close
 *             bad record, close   -                                  remote := NOT_CONNECTED, 0    close
 * either      link lost           remote == CONNECTED and the link   remote := NOT_CONNECTED, 0    reconnect when kept
 *                                 came in                            (else local := ...)
 * </pre>
 *
 * An abort's priority 0 loses to any dial of this node that is racing it (a bid is never 0). Equal priorities (masterless's
 * "HOLY PROBABILITY") keep the incoming connection on both sides, as masterless does. One departure: when a link is
 * lost masterless clears the incoming side whenever it is CONNECTED; this port clears it only when the lost link is
 * the incoming one, so an outgoing link's loss never wipes the state of an incoming connection.
 *
 * <p>Threads: touched on the owning node's event loop only, so it needs no lock.
 */
final class MasterlessHandshake {
    /** masterless's directional states; {@link #code()} is its number for them (0, 1, 2). */
    enum LinkState {
        NOT_CONNECTED, CONNECTING, CONNECTED;

        int code() {
            return ordinal();
        }
    }

    /** One direction: its state and its priority in the race (0 while idle, 1 once it is the chosen connection). */
    record Side(LinkState state, double priority) {
        static final Side IDLE = new Side(LinkState.NOT_CONNECTED, 0);
        static final Side CHOSEN = new Side(LinkState.CONNECTED, 1);

        boolean idle() {
            return state == LinkState.NOT_CONNECTED;
        }
    }

    /** Why a connection is dropped during the handshake; {@link #text()} is what a dial fails with. */
    enum Refusal {
        DUPLICATE_OUTGOING("duplicate outgoing connection"),
        DUPLICATE("duplicate connection"),
        DUPLICATE_INCOMING("duplicate incoming connection"),
        LOST_RACE("lost the priority race");

        private final String text;

        Refusal(String text) {
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    private final DoubleSupplier priorities;
    private Side local = Side.IDLE;
    private Side remote = Side.IDLE;

    MasterlessHandshake() {
        this(MasterlessHandshake::randomPriority);
    }

    /** @param priorities the bids for crossing dials, each in (0, 1] (tests pass fixed ones) */
    MasterlessHandshake(DoubleSupplier priorities) {
        this.priorities = priorities;
    }

    Side local() {
        return local;
    }

    Side remote() {
        return remote;
    }

    /** The outgoing connection learnt the other node's id; null to go on and bid {@code local().priority()}. */
    Refusal outgoingId() {
        if (!local.idle()) {
            return Refusal.DUPLICATE_OUTGOING;
        }
        if (remote.state() == LinkState.CONNECTED) {
            local = Side.IDLE;
            return Refusal.DUPLICATE;
        }
        local = new Side(LinkState.CONNECTING, remote.state() == LinkState.CONNECTING ? priorities.getAsDouble() : 1);
        return null;
    }

    /** The other node chose the outgoing connection. */
    void outgoingConfirmed() {
        local = Side.CHOSEN;
    }

    /** An incoming connection said hello; null to go on and answer with this node's id. */
    Refusal incomingId() {
        if (!remote.idle()) {
            return Refusal.DUPLICATE_INCOMING;
        }
        if (!local.idle()) {
            remote = Side.IDLE;
            return Refusal.DUPLICATE;
        }
        remote = new Side(LinkState.CONNECTING, 0);
        return null;
    }

    /** The incoming connection's bid; null when it wins (confirm it: the link is up). */
    Refusal incomingPriority(double priority) {
        if (local.state() == LinkState.CONNECTED) {
            remote = Side.IDLE;
            return Refusal.DUPLICATE;
        }
        if (local.state() == LinkState.CONNECTING && priority < local.priority()) {
            remote = Side.IDLE;
            return Refusal.LOST_RACE;
        }
        remote = Side.CHOSEN;
        return null;
    }

    /**
     * After a connection failed mid-handshake, whether it should re-dial (masterless's onerror): only when the other
     * direction is idle, since otherwise a link is being made or already stands that way.
     */
    boolean redialsAfterFailure(boolean outgoing) {
        return outgoing ? remote.idle() : local.idle();
    }

    /** A handshake connection ended (closed, failed, or sent what does not belong): its direction is idle again. */
    void reset(boolean outgoing) {
        if (outgoing) {
            local = Side.IDLE;
        } else {
            remote = Side.IDLE;
        }
    }

    /** The link broke after the handshake: the direction it used is idle again. */
    void linkLost(boolean outgoing) {
        if (remote.state() == LinkState.CONNECTED && !outgoing) {
            remote = Side.IDLE;
        } else {
            local = Side.IDLE;
        }
    }

    /** Neither direction is connecting or connected. */
    boolean idle() {
        return local.idle() && remote.idle();
    }

    /** {@code local/remote} in masterless's numbers, e.g. {@code 2/0} for a link this node dialled. */
    String code() {
        return local.state().code() + "/" + remote.state().code();
    }

    /** A bid in (0, 1): never 0, which would lose even to an abort. */
    private static double randomPriority() {
        double p;
        do {
            p = ThreadLocalRandom.current().nextDouble();
        } while (p == 0);
        return p;
    }
}

package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.compat.MasterlessHandshake.LinkState;
import io.meshbus.compat.MasterlessHandshake.Refusal;
import io.meshbus.compat.MasterlessHandshake.Side;
import org.junit.jupiter.api.Test;

/** masterless's link-state table, row by row (see {@link MasterlessHandshake}), and two nodes racing through it. */
class MasterlessHandshakeTest {
    private static final double BID = 0.25;

    private final MasterlessHandshake h = new MasterlessHandshake(() -> BID);

    @Test
    void shouldStartIdleInBothDirections() {
        assertThat(h.local()).isEqualTo(Side.IDLE);
        assertThat(h.remote()).isEqualTo(Side.IDLE);
        assertThat(h.idle()).isTrue();
        assertThat(h.code()).isEqualTo("0/0");
    }

    @Test
    void shouldBidOneOnAnOutgoingConnectionWithoutRivalAndLockItOnConfirm() {
        assertThat(h.outgoingId()).isNull();
        assertThat(h.local()).isEqualTo(new Side(LinkState.CONNECTING, 1));
        assertThat(h.code()).isEqualTo("1/0");
        h.outgoingConfirmed();
        assertThat(h.local()).isEqualTo(Side.CHOSEN);
        assertThat(h.code()).isEqualTo("2/0");
    }

    @Test
    void shouldBidRandomlyWhenAnIncomingConnectionIsShakingHandsToo() {
        assertThat(h.incomingId()).isNull();
        assertThat(h.remote().state()).isEqualTo(LinkState.CONNECTING);
        assertThat(h.outgoingId()).isNull();
        assertThat(h.local()).isEqualTo(new Side(LinkState.CONNECTING, BID));
    }

    @Test
    void shouldRefuseASecondOutgoingConnection() {
        h.outgoingId();
        assertThat(h.outgoingId()).isEqualTo(Refusal.DUPLICATE_OUTGOING);
        assertThat(h.local().state()).isEqualTo(LinkState.CONNECTING);
    }

    @Test
    void shouldRefuseAnOutgoingConnectionWhenAnIncomingLinkStands() {
        h.incomingId();
        h.incomingPriority(1);
        assertThat(h.outgoingId()).isEqualTo(Refusal.DUPLICATE);
        assertThat(h.local()).isEqualTo(Side.IDLE);
        assertThat(h.remote()).isEqualTo(Side.CHOSEN);
    }

    @Test
    void shouldRefuseASecondIncomingConnectionWithoutTouchingTheFirst() {
        h.incomingId();
        assertThat(h.incomingId()).isEqualTo(Refusal.DUPLICATE_INCOMING);
        assertThat(h.remote().state()).isEqualTo(LinkState.CONNECTING);
    }

    @Test
    void shouldRefuseAnIncomingConnectionWhileThisNodeDials() {
        h.outgoingId();
        assertThat(h.incomingId()).isEqualTo(Refusal.DUPLICATE);
        assertThat(h.remote()).isEqualTo(Side.IDLE);
        assertThat(h.local().state()).isEqualTo(LinkState.CONNECTING);
    }

    @Test
    void shouldRefuseAnIncomingBidWhenTheOutgoingLinkStands() {
        h.incomingId();
        h.outgoingId();
        h.outgoingConfirmed();
        assertThat(h.incomingPriority(0.9)).isEqualTo(Refusal.DUPLICATE);
        assertThat(h.remote()).isEqualTo(Side.IDLE);
    }

    @Test
    void shouldLetTheHigherBidWinAndTheIncomingOneWinATie() {
        h.incomingId();
        h.outgoingId();
        assertThat(h.incomingPriority(BID / 2)).isEqualTo(Refusal.LOST_RACE);
        assertThat(h.remote()).isEqualTo(Side.IDLE);

        MasterlessHandshake tie = new MasterlessHandshake(() -> BID);
        tie.incomingId();
        tie.outgoingId();
        assertThat(tie.incomingPriority(BID)).isNull();
        assertThat(tie.remote()).isEqualTo(Side.CHOSEN);

        MasterlessHandshake higher = new MasterlessHandshake(() -> BID);
        higher.incomingId();
        higher.outgoingId();
        assertThat(higher.incomingPriority(0.75)).isNull();
        assertThat(higher.code()).isEqualTo("1/2");
    }

    @Test
    void shouldLetAnAbortLoseToARacingDialOnly() {
        h.incomingId();
        h.outgoingId();
        assertThat(h.incomingPriority(0)).isEqualTo(Refusal.LOST_RACE);

        MasterlessHandshake quiet = new MasterlessHandshake(() -> BID);
        quiet.incomingId();
        assertThat(quiet.incomingPriority(0)).isNull();
    }

    @Test
    void shouldRedialAfterAFailureOnlyWhenTheOtherDirectionIsIdle() {
        assertThat(h.redialsAfterFailure(true)).isTrue();
        assertThat(h.redialsAfterFailure(false)).isTrue();
        h.incomingId();
        assertThat(h.redialsAfterFailure(true)).isFalse();
        assertThat(h.redialsAfterFailure(false)).isTrue();
        h.reset(false);
        h.outgoingId();
        assertThat(h.redialsAfterFailure(false)).isFalse();
        assertThat(h.redialsAfterFailure(true)).isTrue();
    }

    @Test
    void shouldResetOnlyTheDirectionOfTheConnectionThatEnded() {
        h.incomingId();
        h.reset(true);
        assertThat(h.remote().state()).isEqualTo(LinkState.CONNECTING);
        h.reset(false);
        assertThat(h.idle()).isTrue();
    }

    @Test
    void shouldClearTheIncomingSideOnlyWhenTheLostLinkCameIn() {
        h.incomingId();
        h.incomingPriority(1);
        h.linkLost(false);
        assertThat(h.idle()).isTrue();

        MasterlessHandshake out = new MasterlessHandshake(() -> BID);
        out.outgoingId();
        out.outgoingConfirmed();
        out.linkLost(true);
        assertThat(out.idle()).isTrue();
    }

    /** Two nodes dial each other at once; each runs the table for the other: one connection survives. */
    @Test
    void shouldKeepExactlyOneOfTwoCrossingDials() {
        for (double[] bids : new double[][] {{0.3, 0.7}, {0.7, 0.3}, {0.5, 0.5}}) {
            MasterlessHandshake a = new MasterlessHandshake(() -> bids[0]);
            MasterlessHandshake b = new MasterlessHandshake(() -> bids[1]);
            // a's dial reached b (b: incoming id), b's dial reached a (a: incoming id), both answer with their ids
            assertThat(b.incomingId()).isNull();
            assertThat(a.incomingId()).isNull();
            assertThat(a.outgoingId()).isNull();
            assertThat(b.outgoingId()).isNull();
            // each side's bid arrives at the other's incoming connection
            Refusal atB = b.incomingPriority(a.local().priority());
            Refusal atA = a.incomingPriority(b.local().priority());
            if (bids[0] == bids[1]) {
                // masterless's unresolved tie: both incoming connections win, as in the original
                assertThat(atA).isNull();
                assertThat(atB).isNull();
                continue;
            }
            assertThat(atA == null ^ atB == null).as("exactly one dial wins for bids %s/%s", bids[0], bids[1])
                    .isTrue();
            // the winner's dialler is confirmed, the loser's gets closed (and resets its outgoing side)
            if (atB == null) {
                a.outgoingConfirmed();
                b.reset(true);
                assertThat(a.code()).isEqualTo("2/0");
                assertThat(b.code()).isEqualTo("0/2");
            } else {
                b.outgoingConfirmed();
                a.reset(true);
                assertThat(b.code()).isEqualTo("2/0");
                assertThat(a.code()).isEqualTo("0/2");
            }
        }
    }
}

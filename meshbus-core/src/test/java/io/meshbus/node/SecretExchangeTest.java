package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Two sides of the secret exchange talking to each other directly: no channel, no handshake around them. */
class SecretExchangeTest {
    static final Secret SECRET = new Secret("sixteen bytes at least".getBytes(StandardCharsets.UTF_8));
    static final Secret OTHER = new Secret("another network's secret".getBytes(StandardCharsets.UTF_8));

    @Test
    void shouldProveTheSecretBothWays() {
        SecretExchange dialler = new SecretExchange(SECRET, false, "d-node");
        SecretExchange acceptor = new SecretExchange(SECRET, true, "a-node");
        Frame.Challenge fromDialler = dialler.challenge();
        Frame.Challenge fromAcceptor = acceptor.challenge();

        Frame.Proof acceptorsProof = acceptor.answer(fromDialler, "d-node");
        Frame.Proof diallersProof = dialler.answer(fromAcceptor, "a-node");

        assertThat(acceptorsProof.proof()).hasSize(Protocol.PROOF_SIZE);
        assertThat(dialler.check(acceptorsProof, "a-node")).isTrue();
        assertThat(acceptor.check(diallersProof, "d-node")).isTrue();
        assertThat(dialler.proven()).isTrue();
        assertThat(acceptor.proven()).isTrue();
    }

    @Test
    void shouldRefuseAProofOfAnotherSecret() {
        SecretExchange dialler = new SecretExchange(SECRET, false, "d-node");
        SecretExchange stranger = new SecretExchange(OTHER, true, "a-node");
        Frame.Challenge fromDialler = dialler.challenge();
        Frame.Challenge fromStranger = stranger.challenge();
        dialler.answer(fromStranger, "a-node");

        assertThat(dialler.check(stranger.answer(fromDialler, "d-node"), "a-node")).isFalse();
        assertThat(dialler.proven()).isFalse();
    }

    @Test
    void shouldRefuseItsOwnProofReflectedBack() {
        SecretExchange acceptor = new SecretExchange(SECRET, true, "a-node");
        SecretExchange dialler = new SecretExchange(SECRET, false, "d-node");
        Frame.Challenge fromAcceptor = acceptor.challenge();
        // A man in the middle answers the acceptor's challenge by echoing it: the acceptor's own proof comes back.
        Frame.Proof own = acceptor.answer(new Frame.Challenge("d-node", fromAcceptor.nonce(), new byte[0]), "d-node");

        assertThat(acceptor.check(own, "d-node")).isFalse();
        assertThat(dialler.challenged()).isFalse();
    }

    @Test
    void shouldRefuseAProofRecordedInAnEarlierExchange() {
        SecretExchange d1 = new SecretExchange(SECRET, false, "d-node");
        SecretExchange a1 = new SecretExchange(SECRET, true, "a-node");
        Frame.Challenge c1 = d1.challenge();
        a1.challenge();
        Frame.Proof recorded = a1.answer(c1, "d-node");

        SecretExchange d2 = new SecretExchange(SECRET, false, "d-node");
        SecretExchange a2 = new SecretExchange(SECRET, true, "a-node");
        d2.challenge();
        d2.answer(a2.challenge(), "a-node");
        assertThat(d2.check(recorded, "a-node")).isFalse();
    }

    @Test
    void shouldBindTheProofToBothIds() {
        SecretExchange dialler = new SecretExchange(SECRET, false, "d-node");
        SecretExchange acceptor = new SecretExchange(SECRET, true, "a-node");
        Frame.Challenge fromDialler = dialler.challenge();
        dialler.answer(acceptor.challenge(), "a-node");

        assertThat(dialler.check(acceptor.answer(fromDialler, "someone-else"), "a-node")).isFalse();
    }

    @Test
    void shouldAnswerOnlyTheFirstWellFormedChallenge() {
        SecretExchange acceptor = new SecretExchange(SECRET, true, "a-node");
        acceptor.challenge();
        assertThat(acceptor.acceptable(new Frame.Challenge("d", new byte[Protocol.NONCE - 1], new byte[0]))).isFalse();
        assertThat(acceptor.acceptable(new Frame.Challenge("d", new byte[Protocol.NONCE], new byte[1]))).isFalse();
        Frame.Challenge good = new Frame.Challenge("d", new byte[Protocol.NONCE], new byte[0]);
        assertThat(acceptor.acceptable(good)).isTrue();
        acceptor.answer(good, "d");
        assertThat(acceptor.acceptable(good)).isFalse();
        assertThatThrownBy(() -> acceptor.answer(good, "d")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(acceptor::challenge).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldTakeNoProofBeforeAChallengeWasAnswered() {
        SecretExchange dialler = new SecretExchange(SECRET, false, "d-node");
        dialler.challenge();
        assertThat(dialler.answered()).isFalse();
        assertThatThrownBy(() -> dialler.check(new Frame.Proof(new byte[Protocol.PROOF_SIZE]), "a-node"))
                .isInstanceOf(IllegalStateException.class);
    }
}

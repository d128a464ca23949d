package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class DemoCommandTest {
    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws", "mem"})
    void shouldRunTheDemoToTheEndAndExitZero(String transport) {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("demo", "--transport", transport);
        String text = out.toString();
        assertThat(code).as(text).isZero();
        assertThat(text).contains("host-1 now knows [host-2, host-3]")
                .contains("bob    got {\"greeting\":\"hi bob\"} from alice")
                .contains("alice  got the reply {\"answer\":42}")
                .contains("carol  got {\"sku\":\"a1\"} on orders.eu from alice")
                .contains("carol  got {\"sku\":\"b2\"} on orders.us from alice")
                .doesNotContain("not for orders.*")
                .contains("alice  send to carol failed as it should: Peer not found (id: carol)")
                .contains("host-1 now knows [host-2]")
                .endsWith("done\n");
        assertThat(text.lines().filter(l -> l.matches("worker-[12] took job-[1-4]"))).hasSize(4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "demo --help"})
    void shouldPrintHelpAndExitZero(String args) {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute(args.split(" "))).isZero();
        assertThat(out.toString()).contains("Usage:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"no-such-command", "demo --bogus"})
    void shouldRejectBadUsageWithExitTwo(String args) {
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute(args.split(" "))).isEqualTo(2);
    }
}

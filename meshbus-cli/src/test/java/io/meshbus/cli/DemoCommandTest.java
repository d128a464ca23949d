package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class DemoCommandTest {
    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRunTheDemoToTheEndAndExitZero(String transport) {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("demo", "--transport", transport);
        String text = out.toString();
        assertThat(code).as(text).isZero();
        assertThat(text).contains("alice reached bob, bob reached alice")
                .contains("alice's links: [bob, carol]")
                .contains("alice  got {\"reply\":\"hello alice\"} from bob")
                .contains("taken by 2 nodes")
                .contains("carol  got news for everyone from alice")
                .endsWith("done\n");
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

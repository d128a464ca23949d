package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshbus host --browser ... --page DIR} and {@code meshbus demo --browser} from the shaded jar: the folder is
 * served beside /meshbus.js (nothing outside it), and its page, in headless Chromium, asks the echo peer.
 */
class BrowserPageIT {
    private static final String PAGE = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>page</title></head><body>
            <p>echo said: <b id="answer">...</b></p>
            <script type="module">
              import { connect } from '/meshbus.js';
              const bus = await connect(`ws://${location.host}/meshbus`, { id: 'page-' + Date.now() });
              const answer = await bus.request('echo', { hello: 'from the page' }, { timeout: 5000 });
              document.getElementById('answer').textContent = JSON.stringify(answer);
            </script>
            </body></html>
            """;
    private final MeshbusProcesses jar = new MeshbusProcesses();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        jar.close();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chromium() {
        String c = Chromium.find();
        if (c == null) {
            assertThat(System.getenv("MESHBUS_REQUIRE_BROKERS")).as("chromium is required under "
                    + "MESHBUS_REQUIRE_BROKERS=1 (.ci/run installs it)").isNotEqualTo("1");
            assumeTrue(false, "chromium is not installed: browser page test skipped");
        }
        return c;
    }

    /**
     * The page after its script ran: Chromium's virtual time does not wait for a WebSocket, so ask again (a fresh
     * load each time; on a loaded machine ten loads were seen to end before the first answer came).
     */
    private static String domWhen(String chromium, String url, String wanted) throws Exception {
        String dom = "";
        for (int i = 0; i < 40 && !dom.contains(wanted); i++) {
            dom = Chromium.dumpDom(chromium, url);
        }
        return dom;
    }

    @Test
    void shouldServeTheFolderBesideTheClientAndAnswerThePageFromEcho(@TempDir Path dir) throws Exception {
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), PAGE);
        Files.createDirectories(site.resolve("docs"));
        Files.writeString(site.resolve("docs/index.html"), "<p>docs</p>");
        Files.writeString(site.resolve("style.css"), "p { color: teal }");
        Path outside = Files.writeString(dir.resolve("secret.txt"), "not for browsers");
        Files.createSymbolicLink(site.resolve("secret.txt"), outside);
        Files.createSymbolicLink(site.resolve("inside.css"), site.resolve("style.css"));

        Process host = jar.start("host", "--listen", "tcp://127.0.0.1:0", "--echo", "echo", "--browser",
                "127.0.0.1:0", "--page", site.toString());
        BlockingQueue<String> out = MeshbusProcesses.lines(host);
        String line = MeshbusProcesses.await(out, "browser gateway at ");
        String base = line.substring("browser gateway at ".length(), line.indexOf(' ', "browser gateway at ".length()));
        MeshbusProcesses.await(out, "echo peer echo ready");

        assertThat(get(base).body()).contains("import { connect } from '/meshbus.js'");
        assertThat(get(base + "meshbus.js").body()).contains("export");
        assertThat(get(base + "docs/").body()).isEqualTo("<p>docs</p>");
        HttpResponse<String> css = get(base + "style.css");
        assertThat(css.headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
        assertThat(get(base + "inside.css").body()).isEqualTo("p { color: teal }");
        assertThat(get(base + "secret.txt").statusCode()).isEqualTo(404);
        assertThat(get(base + "docs/../secret.txt").statusCode()).isEqualTo(404);
        assertThat(get(base + "%2e%2e/secret.txt").statusCode()).isEqualTo(404);

        String dom = domWhen(chromium(), base, "id=\"answer\">{");
        assertThat(dom).contains("echo said: <b id=\"answer\">{\"hello\":\"from the page\"}</b>");
    }

    @Test
    void shouldRunTheBrowserDemoFromTheJarUntilInterrupted() throws Exception {
        Process demo = jar.start("demo", "--browser");
        BlockingQueue<String> out = MeshbusProcesses.lines(demo);
        String line = MeshbusProcesses.await(out, "browser demo: open ");
        String url = line.substring("browser demo: open ".length(), line.indexOf(' ', "browser demo: open ".length()));
        assertThat(get(url).body()).contains("Meshbus in the browser");
        String dom = domWhen(chromium(), url, "id=\"answer\">{");
        assertThat(dom).contains("echo answered: <b id=\"answer\">{").contains("\"echo\":{\"hello\":\"from browser-");
        demo.destroy();
        assertThat(demo.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
}

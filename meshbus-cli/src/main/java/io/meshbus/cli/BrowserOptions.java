package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.js.BrowserGateway;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** {@code meshbus host --browser HOST:PORT} and its limits: the browser gateway, with a folder of pages beside it. */
final class BrowserOptions {
    @Option(names = "--browser", paramLabel = "HOST:PORT", description = "Serve browsers (and Node.js) as peers: "
            + "/meshbus.js and the WebSocket /meshbus on this address (port 0 picks one).")
    String browser;

    @Option(names = "--page", paramLabel = "DIR", description = "With --browser: serve the static files of this "
            + "folder beside it (index.html at /); read at start.")
    String page;

    @Option(names = "--allowed-origin", split = ",", description = "With --browser: an Origin besides the gateway's "
            + "own that may connect (repeatable).")
    List<String> allowedOrigins;

    @Option(names = "--browser-token-file", paramLabel = "FILE", description = "With --browser: lines 'PEER-ID "
            + "TOKEN' ('*' for any id); a browser must present its token to connect.")
    String tokenFile;

    @Option(names = "--browser-max-message-size", paramLabel = "BYTES",
            description = "With --browser: the largest message a browser may send (default 1048576).")
    Integer maxMessageSize;

    @Option(names = "--browser-max-rate", paramLabel = "N",
            description = "With --browser: frames per second a connection may send (default 1000).")
    Integer maxRate;

    @Option(names = "--browser-max-subscriptions", paramLabel = "N",
            description = "With --browser: subject patterns a connection may subscribe to (default 100).")
    Integer maxSubscriptions;

    @Option(names = "--browser-max-connections", paramLabel = "N",
            description = "With --browser: open browser connections at most (default 10000).")
    Integer maxConnections;

    /** Refuses options that only make sense with --browser, and a malformed address, before anything starts. */
    void check() {
        if (browser == null) {
            String orphan = page != null ? "--page" : allowedOrigins != null ? "--allowed-origin"
                    : tokenFile != null ? "--browser-token-file" : maxMessageSize != null ? "--browser-max-message-size"
                    : maxRate != null ? "--browser-max-rate" : maxSubscriptions != null ? "--browser-max-subscriptions"
                    : maxConnections != null ? "--browser-max-connections" : null;
            if (orphan != null) {
                throw new IllegalArgumentException(orphan + ": needs --browser HOST:PORT");
            }
            return;
        }
        bindHost();
        bindPort();
        if (page != null && !java.nio.file.Files.isDirectory(Path.of(page))) {
            throw new IllegalArgumentException("--page: " + page + " is not a folder");
        }
        if (tokenFile != null) {
            try {
                TokenFile.read(Path.of(tokenFile));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--browser-token-file: cannot read " + tokenFile);
            }
        }
    }

    String bindHost() {
        int colon = browser.lastIndexOf(':');
        String h = colon > 0 ? browser.substring(0, colon) : "";
        if (h.isEmpty()) {
            throw new IllegalArgumentException("--browser: expected HOST:PORT, like 127.0.0.1:7480, was '" + browser
                    + "'");
        }
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    int bindPort() {
        try {
            int p = Integer.parseInt(browser.substring(browser.lastIndexOf(':') + 1));
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--browser: expected HOST:PORT with a port 0..65535, was '" + browser
                    + "'");
        }
    }

    /** Starts the gateway for the host, or returns null without --browser. */
    BrowserGateway start(Host host) throws Exception {
        if (browser == null) {
            return null;
        }
        BrowserGateway.Builder b = BrowserGateway.builder(host).bind(bindHost(), bindPort());
        if (allowedOrigins != null) {
            b.allowedOrigins(allowedOrigins.toArray(new String[0]));
        }
        if (tokenFile != null) {
            b.authenticator(TokenFile.read(Path.of(tokenFile)));
        }
        if (maxMessageSize != null) {
            b.maxMessageSize(maxMessageSize);
        }
        if (maxRate != null) {
            b.maxMessagesPerSecond(maxRate);
        }
        if (maxSubscriptions != null) {
            b.maxSubscriptions(maxSubscriptions);
        }
        if (maxConnections != null) {
            b.maxConnections(maxConnections);
        }
        if (page != null) {
            for (Map.Entry<String, StaticFolder.File> f : StaticFolder.read(Path.of(page)).entrySet()) {
                b.resource(f.getKey(), f.getValue().contentType(), f.getValue().body());
            }
        }
        return b.build().start().get(30, TimeUnit.SECONDS);
    }

    /** The console line for a started gateway. */
    static String describe(BrowserGateway g) {
        return "browser gateway at http://" + g.scriptUrl().getAuthority() + "/ (WebSocket " + g.url() + ")";
    }
}

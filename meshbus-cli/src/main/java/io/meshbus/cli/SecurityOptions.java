package io.meshbus.cli;

import io.meshbus.transport.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The network secret and TLS options, the same on {@code host} and on the one-shot commands. */
final class SecurityOptions {
    @Option(names = "--secret-file", description = "File holding the network secret (at least 16 bytes); only hosts "
            + "proving the same secret can link.")
    String secretFile;

    @Option(names = "--tls-cert", description = "PEM certificate chain of this host (with --tls-key and --tls-ca).")
    String tlsCert;

    @Option(names = "--tls-key", description = "PEM (PKCS#8) private key of this host.")
    String tlsKey;

    @Option(names = "--tls-ca", description = "PEM certificates of the authorities to trust.")
    String tlsCa;

    /** TLS settings from the three PEM options: all of them or none. */
    TlsConfig tls(boolean mutual) {
        int given = (tlsCert != null ? 1 : 0) + (tlsKey != null ? 1 : 0) + (tlsCa != null ? 1 : 0);
        if (given == 0) {
            return null;
        }
        if (given != 3) {
            throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca go together");
        }
        return TlsConfig.fromPem(Path.of(tlsCert), Path.of(tlsKey), Path.of(tlsCa), mutual);
    }

    /** The secret in the file (surrounding whitespace trimmed), or null for none. */
    byte[] secret() throws IOException {
        if (secretFile == null) {
            return null;
        }
        byte[] b = Files.readString(Path.of(secretFile), StandardCharsets.UTF_8).strip()
                .getBytes(StandardCharsets.UTF_8);
        if (b.length < 16) {
            throw new IllegalArgumentException("--secret-file: the secret must be at least 16 bytes, " + secretFile
                    + " holds " + b.length);
        }
        return b;
    }
}

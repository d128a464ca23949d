package io.meshbus.transport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway certificate authorities and node certificates made at test time with the JDK's keytool (nothing secret is
 * committed). Every key store is PKCS#12 with the password {@link #PASSWORD}.
 */
public final class TestCertificates {
    public static final char[] PASSWORD = "changeit".toCharArray();
    private final Path dir;

    public TestCertificates(Path dir) {
        this.dir = dir;
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storepass", new String(PASSWORD), "-noprompt"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }

    /** A certificate authority; returns its key store (which also serves as a trust store of just that CA). */
    public Path authority(String name) throws Exception {
        Path ks = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "bc:c", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12");
        Path crt = dir.resolve(name + ".crt");
        keytool("-exportcert", "-alias", "ca", "-keystore", ks.toString(), "-rfc", "-file", crt.toString());
        Path trust = dir.resolve(name + "-trust.p12");
        keytool("-importcert", "-alias", "ca", "-file", crt.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12");
        return trust;
    }

    /**
     * A node key store with a certificate for 127.0.0.1 / localhost signed by the authority {@code ca}, valid from
     * {@code startDays} days from now for {@code days} days (a start in the past and a short life make it expired).
     */
    public Path node(String name, String ca, int startDays, int days) throws Exception {
        return node(name, ca, startDays, days, "localhost", "");
    }

    /**
     * As {@link #node(String, String, int, int)}, valid now for 2 days, with subject {@code CN=commonName} and
     * {@code extraSan} (e.g. {@code uri:meshbus://node/alice}, or empty) added to the names for 127.0.0.1 and
     * localhost: an identity a mutual-TLS authenticator can read.
     */
    public Path node(String name, String ca, String commonName, String extraSan) throws Exception {
        return node(name, ca, 0, 2, commonName, extraSan);
    }

    private Path node(String name, String ca, int startDays, int days, String commonName, String extraSan)
            throws Exception {
        Path ks = dir.resolve(name + ".p12");
        Path caKs = dir.resolve(ca + ".p12");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + commonName, "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12");
        Path csr = dir.resolve(name + ".csr");
        keytool("-certreq", "-alias", "node", "-keystore", ks.toString(), "-file", csr.toString());
        Path crt = dir.resolve(name + ".crt");
        List<String> gen = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", caKs.toString(),
                "-infile", csr.toString(), "-outfile", crt.toString(), "-ext",
                "san=ip:127.0.0.1,dns:localhost" + (extraSan.isEmpty() ? "" : "," + extraSan),
                "-validity", Integer.toString(days)));
        if (startDays != 0) {
            gen.addAll(List.of("-startdate", (startDays > 0 ? "+" : "") + startDays + "d"));
        }
        keytool(gen.toArray(new String[0]));
        keytool("-importcert", "-alias", "ca", "-file", dir.resolve(ca + ".crt").toString(), "-keystore",
                ks.toString());
        keytool("-importcert", "-alias", "node", "-file", crt.toString(), "-keystore", ks.toString());
        return ks;
    }
}

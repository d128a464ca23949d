package io.meshbus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What the jar was built from: the Maven version and the git commit, written into {@code build.properties} by the
 * build. A class path without that file (classes run from an IDE) says "dev" and "unknown".
 */
record BuildInfo(String version, String commit) {
    static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // a damaged jar still runs: it just cannot say what it is
        }
        return new BuildInfo(known(p.getProperty("version"), "dev"), known(p.getProperty("commit"), "unknown"));
    }

    /** An unfiltered placeholder (a build that skipped the filtering step) is no value either. */
    private static String known(String v, String otherwise) {
        return v == null || v.isBlank() || v.contains("${") ? otherwise : v.strip();
    }

    /** {@code meshbus 0.1.0 (commit 1a2b3c4d5e6f)}. */
    String line() {
        return "meshbus " + version + " (commit " + commit + ")";
    }
}

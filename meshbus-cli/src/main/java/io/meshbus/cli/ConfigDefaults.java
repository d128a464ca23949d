package io.meshbus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Option values not given on the command line: first the environment ({@code --join} is {@code MESHBUS_JOIN},
 * {@code --status-port} is {@code MESHBUS_STATUS_PORT}), then the config file ({@code MESHBUS_CONFIG}, else
 * {@code ~/.meshbus.properties}; keys are long option names without dashes: {@code join=tcp://...}). So the order of
 * precedence is flags, environment, file.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> env;
    private final Properties file;

    ConfigDefaults(Map<String, String> env) {
        this.env = env;
        this.file = load(env);
    }

    static Properties load(Map<String, String> env) {
        Properties p = new Properties();
        String configured = env.get("MESHBUS_CONFIG");
        Path path = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home", "."), ".meshbus.properties");
        if (Files.isRegularFile(path)) {
            try (InputStream in = Files.newInputStream(path)) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage(), e);
            }
        } else if (configured != null) {
            throw new IllegalArgumentException("config file " + path + " does not exist");
        }
        return p;
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (!(arg instanceof CommandLine.Model.OptionSpec o)) {
            return null;
        }
        String name = o.longestName().replaceFirst("^-+", "");
        String fromEnv = env.get("MESHBUS_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) {
            return fromEnv;
        }
        return file.getProperty(name.replace("-", ""), file.getProperty(name));
    }
}

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
 * Option values not given on the command line: first the YAML file of a command's own {@code --config} option
 * ({@code meshbus host --config meshbus.yaml}, see {@link YamlConfig}), then the environment ({@code --join} is
 * {@code MESHBUS_JOIN}, {@code --status-port} is {@code MESHBUS_STATUS_PORT}), then the properties file
 * ({@code MESHBUS_CONFIG}, else {@code ~/.meshbus.properties}; keys are long option names without dashes:
 * {@code join=tcp://...}). So the order of precedence is flags, --config file, environment, properties file.
 *
 * <p>Threads: picocli asks on the parsing thread only; the YAML files read are kept for the rest of the parse.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> env;
    private final Properties file;
    private final Map<Path, YamlConfig> yaml = new java.util.HashMap<>();

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

    static final String CONFIG = "config";

    /** The options a --config file of the command may set: long names without dashes, true for lists. */
    static Map<String, Boolean> keys(CommandLine.Model.CommandSpec command) {
        Map<String, Boolean> keys = new java.util.TreeMap<>();
        for (CommandLine.Model.OptionSpec o : command.options()) {
            String name = o.longestName().replaceFirst("^-+", "");
            if (!o.usageHelp() && !o.versionHelp() && !name.equals(CONFIG) && !name.equals("print-config")) {
                keys.put(name, o.isMultiValue());
            }
        }
        return keys;
    }

    /** The command's --config file, read once; null when it has no such option or it was not given. */
    private YamlConfig yaml(CommandLine.Model.CommandSpec command) {
        CommandLine.Model.OptionSpec c = command.findOption("--" + CONFIG);
        String path = c == null ? null : c.getValue();
        if (path == null) {
            return null;
        }
        return yaml.computeIfAbsent(Path.of(path), p -> YamlConfig.read(p, keys(command)));
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (!(arg instanceof CommandLine.Model.OptionSpec o)) {
            return null;
        }
        String name = o.longestName().replaceFirst("^-+", "");
        if (name.equals(CONFIG)) {
            // Its own name in the environment, MESHBUS_CONFIG, is the properties file's.
            return null;
        }
        YamlConfig config = yaml(o.command());
        if (config != null && config.get(name) != null) {
            return config.get(name);
        }
        String fromEnv = env.get("MESHBUS_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) {
            return fromEnv;
        }
        return file.getProperty(name.replace("-", ""), file.getProperty(name));
    }
}

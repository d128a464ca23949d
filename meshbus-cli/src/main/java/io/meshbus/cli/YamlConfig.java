package io.meshbus.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A {@code --config meshbus.yaml} file: one mapping whose keys are the command's long option names without the
 * dashes ({@code listen}, {@code status-port}, {@code browser-token-file}), each with a scalar or, for a repeatable
 * option, a list of scalars. Read with a streaming parser so that every refusal names the file and the line: an
 * unknown key, a key given twice, a list for a single value, a nested mapping.
 */
final class YamlConfig {
    private static final YAMLFactory YAML = new YAMLFactory();
    private final Map<String, String> values;

    private YamlConfig(Map<String, String> values) {
        this.values = values;
    }

    /**
     * @param options every key the file may hold, true for those that take a list
     * @throws IllegalArgumentException naming the file, line and key of the first problem
     */
    static YamlConfig read(Path file, Map<String, Boolean> options) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--config: " + file + " is not a file");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--config: cannot read " + file + ": " + e.getMessage());
        }
        try (JsonParser p = YAML.createParser(text)) {
            return new YamlConfig(parse(p, file, options));
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new IllegalArgumentException(file + (l != null ? ":" + l.getLineNr() : "") + ": not YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new IllegalArgumentException("--config: cannot read " + file + ": " + e.getMessage());
        }
    }

    private static Map<String, String> parse(JsonParser p, Path file, Map<String, Boolean> options)
            throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        JsonToken t = p.nextToken();
        if (t == null) {
            return values;
        }
        if (t != JsonToken.START_OBJECT) {
            throw at(file, p, "expected a mapping of option names to values");
        }
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            int line = p.currentTokenLocation().getLineNr();
            Boolean list = options.get(key);
            if (list == null) {
                throw new IllegalArgumentException(file + ":" + line + ": unknown key '" + key + "' (valid keys: "
                        + String.join(", ", new TreeSet<>(options.keySet())) + ")");
            }
            if (values.containsKey(key)) {
                throw new IllegalArgumentException(file + ":" + line + ": key '" + key + "' is given twice");
            }
            t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                if (!list) {
                    throw new IllegalArgumentException(file + ":" + line + ": key '" + key
                            + "' takes one value, not a list");
                }
                List<String> items = new ArrayList<>();
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (!t.isScalarValue() || t == JsonToken.VALUE_NULL) {
                        throw at(file, p, "key '" + key + "' holds a list of values, not of " + what(t));
                    }
                    items.add(p.getText());
                }
                values.put(key, String.join(",", items));
            } else if (t.isScalarValue()) {
                if (t != JsonToken.VALUE_NULL) {
                    values.put(key, p.getText());
                }
            } else {
                throw new IllegalArgumentException(file + ":" + line + ": key '" + key + "' holds " + what(t)
                        + "; give a value" + (list ? " or a list of values" : ""));
            }
        }
        if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
            throw at(file, p, "expected one mapping of option names to values");
        }
        return values;
    }

    private static String what(JsonToken t) {
        return t == JsonToken.START_OBJECT ? "a mapping" : t == JsonToken.START_ARRAY ? "a list"
                : t == JsonToken.VALUE_NULL ? "nothing" : "a " + t;
    }

    private static IllegalArgumentException at(Path file, JsonParser p, String why) {
        return new IllegalArgumentException(file + ":" + p.currentTokenLocation().getLineNr() + ": " + why);
    }

    /** The value for a key as an option's text (a list joined with commas, as the options split it), or null. */
    String get(String key) {
        return values.get(key);
    }

    Map<String, String> values() {
        return values;
    }
}

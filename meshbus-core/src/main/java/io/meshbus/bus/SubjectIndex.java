package io.meshbus.bus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * Patterns to values, matched against concrete subjects. A trie of tokens with a branch for {@code *} and one for
 * {@code >} at every level: matching walks one path per literal token plus the wildcard branches that exist, so it
 * costs time in the number of tokens (and of matching wildcard branches), not in the number of patterns. Readers run
 * in parallel; writers take a lock. Public for benchmarks and for applications that route on subjects themselves.
 */
public final class SubjectIndex<T> {
    private static final class Level<T> {
        Map<String, Level<T>> literal;
        Level<T> star;
        Level<T> rest;
        List<T> values;

        boolean isEmpty() {
            return (literal == null || literal.isEmpty()) && star == null && rest == null
                    && (values == null || values.isEmpty());
        }
    }

    private final Level<T> root = new Level<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private int size;

    public void add(String pattern, T value) {
        String[] tokens = Subjects.tokens(pattern, true);
        lock.writeLock().lock();
        try {
            Level<T> l = root;
            for (String t : tokens) {
                l = child(l, t);
            }
            if (l.values == null) {
                l.values = new ArrayList<>(1);
            }
            l.values.add(value);
            size++;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static <T> Level<T> child(Level<T> l, String t) {
        switch (t) {
            case "*" -> {
                if (l.star == null) {
                    l.star = new Level<>();
                }
                return l.star;
            }
            case ">" -> {
                if (l.rest == null) {
                    l.rest = new Level<>();
                }
                return l.rest;
            }
            default -> {
                if (l.literal == null) {
                    l.literal = new HashMap<>(4);
                }
                return l.literal.computeIfAbsent(t, k -> new Level<>());
            }
        }
    }

    /** Removes one occurrence of the value under the pattern; true if it was there. */
    public boolean remove(String pattern, T value) {
        String[] tokens = Subjects.tokens(pattern, true);
        lock.writeLock().lock();
        try {
            boolean removed = remove(root, tokens, 0, value);
            if (removed) {
                size--;
            }
            return removed;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static <T> boolean remove(Level<T> l, String[] tokens, int i, T value) {
        if (i == tokens.length) {
            return l.values != null && l.values.remove(value);
        }
        String t = tokens[i];
        Level<T> next = t.equals("*") ? l.star : t.equals(">") ? l.rest : l.literal == null ? null
                : l.literal.get(t);
        if (next == null || !remove(next, tokens, i + 1, value)) {
            return false;
        }
        if (next.isEmpty()) {
            if (t.equals("*")) {
                l.star = null;
            } else if (t.equals(">")) {
                l.rest = null;
            } else {
                l.literal.remove(t);
            }
        }
        return true;
    }

    /** Removes every value the predicate selects (for example all interests of a host that left). */
    public void removeIf(java.util.function.Predicate<T> which) {
        lock.writeLock().lock();
        try {
            size -= removeIf(root, which);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static <T> int removeIf(Level<T> l, java.util.function.Predicate<T> which) {
        int n = 0;
        if (l.values != null) {
            int before = l.values.size();
            l.values.removeIf(which);
            n += before - l.values.size();
        }
        if (l.literal != null) {
            for (var it = l.literal.values().iterator(); it.hasNext(); ) {
                Level<T> c = it.next();
                n += removeIf(c, which);
                if (c.isEmpty()) {
                    it.remove();
                }
            }
        }
        if (l.star != null) {
            n += removeIf(l.star, which);
            if (l.star.isEmpty()) {
                l.star = null;
            }
        }
        if (l.rest != null) {
            n += removeIf(l.rest, which);
            if (l.rest.isEmpty()) {
                l.rest = null;
            }
        }
        return n;
    }

    /** Calls {@code out} for every value whose pattern matches the subject's tokens. */
    public void match(String[] subject, Consumer<T> out) {
        lock.readLock().lock();
        try {
            match(root, subject, 0, out);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static <T> void match(Level<T> l, String[] s, int i, Consumer<T> out) {
        if (i == s.length) {
            if (l.values != null) {
                l.values.forEach(out);
            }
            return;
        }
        if (l.rest != null && l.rest.values != null) {
            l.rest.values.forEach(out);
        }
        if (l.literal != null) {
            Level<T> next = l.literal.get(s[i]);
            if (next != null) {
                match(next, s, i + 1, out);
            }
        }
        if (l.star != null) {
            match(l.star, s, i + 1, out);
        }
    }

    public int size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }
}

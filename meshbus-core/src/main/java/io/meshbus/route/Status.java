package io.meshbus.route;

/** The outcome of a routed request, carried in the {@code status} header of the response (HTTP-like codes). */
public enum Status {
    OK(200), NOT_FOUND(404), ERROR(500);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Status ofCode(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return ERROR;
    }
}

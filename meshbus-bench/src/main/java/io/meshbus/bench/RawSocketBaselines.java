package io.meshbus.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baselines: plain blocking {@code java.net} sockets carrying the same payloads, framed the least a message stream
 * can be (a 4-byte length, then the bytes) and buffered 64 KiB at both ends. No threads are handed over, nothing is
 * allocated per record: this is the limit of a framed stream between two JVMs on this machine, which the node's
 * figures are read against.
 */
final class RawSocketBaselines implements Contender {
    static final Contender RAW = new RawSocketBaselines();

    private static final int BUFFER = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private RawSocketBaselines() {
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public ChildServer sink(int size) throws IOException {
        return new Server(size, false);
    }

    @Override
    public ChildServer echo(int size) throws IOException {
        return new Server(size, true);
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws IOException {
        Socket s = connect(address);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), BUFFER));
        byte[] payload = Contender.payload(size);
        return new StreamSender() {
            @Override
            public boolean trySend() throws IOException {
                out.writeInt(payload.length);
                out.write(payload);
                return true;
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                s.close();
            }
        };
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws IOException {
        Socket s = connect(address);
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), BUFFER));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), BUFFER));
        byte[] payload = Contender.payload(size);
        byte[] echo = new byte[size];
        return new Pinger() {
            @Override
            public void roundTrip() throws IOException {
                out.writeInt(payload.length);
                out.write(payload);
                out.flush();
                int length = in.readInt();
                if (length != payload.length) {
                    throw new IOException("echo of " + length + " bytes for a record of " + payload.length);
                }
                in.readFully(echo);
            }

            @Override
            public void close() throws IOException {
                s.close();
            }
        };
    }

    /**
     * A blocking connect with Nagle off on both ends, as the node's transport does: the ping-pong depends on it, and
     * the stream writes 64 KiB at a time either way.
     */
    private static Socket connect(URI address) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(address.getHost(), address.getPort()), CONNECT_TIMEOUT_MS);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Accepts one connection on 127.0.0.1 and reads records from it on its own thread, counting or echoing them. */
    private static final class Server implements ChildServer {
        private final ServerSocket listener;
        private final int size;
        private final boolean echo;
        private final Thread reader;
        /** Written by the reader thread only, so a lazySet publishes without the cost of an atomic add. */
        private final AtomicLong delivered = new AtomicLong();
        private final AtomicLong malformed = new AtomicLong();
        private volatile Socket socket;
        private volatile boolean closing;

        Server(int size, boolean echo) throws IOException {
            this.listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            this.size = size;
            this.echo = echo;
            this.reader = new Thread(this::serve, "raw-" + (echo ? "echo" : "sink"));
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public URI address() {
            return URI.create("tcp://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort());
        }

        @Override
        public long delivered() {
            return delivered.get();
        }

        @Override
        public long malformed() {
            return malformed.get();
        }

        private void serve() {
            try (Socket s = listener.accept()) {
                socket = s;
                s.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), BUFFER));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), BUFFER));
                byte[] record = new byte[size];
                while (true) {
                    int length;
                    try {
                        length = in.readInt();
                    } catch (EOFException harnessClosed) {
                        return;
                    }
                    if (length != size) {
                        malformed.lazySet(malformed.get() + 1);
                        if (length < 0 || length > Options.MAX_SIZE) {
                            throw new IOException("record length " + length + ": the stream is out of step");
                        }
                        in.skipNBytes(length);
                        continue;
                    }
                    in.readFully(record);
                    if (echo) {
                        out.writeInt(length);
                        out.write(record);
                        out.flush();
                    }
                    delivered.lazySet(delivered.get() + 1);
                }
            } catch (IOException e) {
                if (!closing) {
                    System.err.println("raw " + (echo ? "echo" : "sink") + " failed: " + e);
                }
            }
        }

        @Override
        public void close() throws IOException {
            closing = true;
            listener.close();
            Socket s = socket;
            if (s != null) {
                s.close();
            }
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

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
import java.time.Duration;

/**
 * The baselines: plain blocking {@code java.net} sockets carrying the same payloads, framed the least a message stream
 * can be (a 4-byte length, then the bytes) and buffered 64 KiB at both ends. No threads are handed over, nothing is
 * allocated per record: this is the limit of a framed stream between two JVMs on this machine, which the node's
 * figures are read against.
 */
public final class RawSocketContender extends TwoJvmContender {
    public static final RawSocketContender RAW = new RawSocketContender();

    private static final int BUFFER = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private RawSocketContender() {
        super("raw");
    }

    @Override
    public ChildServer sink(int size) throws IOException {
        return new Server(size, false).start();
    }

    @Override
    public ChildServer echo(int size) throws IOException {
        return new Server(size, true).start();
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

    @Override
    public Pipeline pipelineTo(URI address, int size, int inFlight) throws IOException {
        return new RawPipeline(connect(address), size, inFlight);
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

    /**
     * One thread writes {@code inFlight} records, then one more for each echo it reads, so the window never drains;
     * each record is flushed as it is written, as in the one-at-a-time ping-pong.
     */
    private static final class RawPipeline extends CountingPipeline {
        private final Socket socket;
        private final byte[] payload;
        private final int inFlight;
        private final Thread thread;

        RawPipeline(Socket socket, int size, int inFlight) {
            super("raw pipeline");
            this.socket = socket;
            this.payload = Contender.payload(size);
            this.inFlight = inFlight;
            this.thread = Waits.daemon(this::run, "raw-pipeline");
        }

        private void run() {
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), BUFFER));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(),
                        BUFFER));
                for (int i = 0; i < inFlight; i++) {
                    out.writeInt(payload.length);
                    out.write(payload);
                }
                out.flush();
                for (int outstanding = inFlight; outstanding > 0; outstanding--) {
                    int length = in.readInt();
                    if (length != payload.length) {
                        throw new IOException("echo of " + length + " bytes for a record of " + payload.length);
                    }
                    in.readFully(payload);
                    replied();
                    if (!stopping()) {
                        out.writeInt(payload.length);
                        out.write(payload);
                        out.flush();
                        outstanding++;
                    }
                }
            } catch (IOException e) {
                failed(e);
            }
        }

        @Override
        protected boolean awaitOutstanding(Duration timeout) throws InterruptedException {
            if (Waits.join(thread, timeout)) {
                return true;
            }
            try {
                socket.close();
            } catch (IOException e) {
                System.err.println("raw pipeline: closing its socket failed: " + e);
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Accepts connections on 127.0.0.1 and reads records from each on its own thread, counting or echoing them. */
    private static final class Server {
        private final ServerSocket listener;
        private final int size;
        private final boolean echo;
        /** The reader thread is its single writer. */
        private final Tally tally;
        private Thread reader;
        private volatile Socket socket;
        private volatile boolean closing;

        Server(int size, boolean echo) throws IOException {
            this.listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            this.size = size;
            this.echo = echo;
            this.tally = new Tally(size);
        }

        ChildServer start() {
            reader = Waits.daemon(this::serve, "raw-" + (echo ? "echo" : "sink"));
            return tally.server(() -> URI.create("tcp://" + listener.getInetAddress().getHostAddress() + ":"
                    + listener.getLocalPort()), this::close);
        }

        /** Serves connections one after another (a scenario may open a second one) until closed. */
        private void serve() {
            while (!closing) {
                Socket s;
                try {
                    s = listener.accept();
                } catch (IOException e) {
                    if (!closing) {
                        System.err.println("raw " + (echo ? "echo" : "sink") + " failed to accept: " + e);
                    }
                    return;
                }
                socket = s;
                try (s) {
                    serve(s);
                } catch (IOException e) {
                    if (!closing) {
                        System.err.println("raw " + (echo ? "echo" : "sink") + " failed: " + e);
                    }
                }
            }
        }

        private void serve(Socket s) throws IOException {
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
                    tally.count(length);
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
                tally.count(length);
            }
        }

        private void close() throws IOException {
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

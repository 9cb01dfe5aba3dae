package io.budgetguard.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A real SMTP server (GreenMail, which has no STARTTLS of its own) behind a front that speaks SMTP's STARTTLS
 * (RFC 3207) with a certificate for 127.0.0.1 made by keytool: the front greets, offers STARTTLS, refuses mail
 * before it, upgrades the connection, then hands the encrypted conversation to GreenMail. So a client's TLS
 * negotiation, certificate and host name checks are real.
 */
public final class StartTlsRelay implements AutoCloseable {
    public final GreenMail mail;
    private final ServerSocket front;
    private final SSLContext tls;
    private final Path caPem;
    /** Commands other than EHLO/HELO/STARTTLS/QUIT a client sent before TLS (mail attempted in clear). */
    public final AtomicInteger clearTextCommands = new AtomicInteger();
    public final AtomicInteger tlsSessions = new AtomicInteger();

    public StartTlsRelay(Path dir, String user, String password) throws Exception {
        mail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        mail.setUser("alerts@example.com", user, password);
        Path ks = dir.resolve("relay.p12");
        caPem = dir.resolve("relay-ca.pem");
        keytool("-genkeypair", "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "relay", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", caPem.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        front = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    private static void keytool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("keytool failed: " + out);
    }

    /** The PEM certificate a client must trust (ALERT_SMTP_CA_FILE). */
    public Path caPem() {
        return caPem;
    }

    /** The STARTTLS front's port. */
    public int port() {
        return front.getLocalPort();
    }

    /** GreenMail's own port: plain SMTP with no STARTTLS on offer. */
    public int plainPort() {
        return mail.getSmtp().getPort();
    }

    private void acceptLoop() {
        while (!front.isClosed()) {
            try {
                Socket s = front.accept();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            OutputStream out = client.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            write(out, "220 relay.test ESMTP front");
            for (String line; (line = in.readLine()) != null; ) {
                String verb = line.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> write(out, "250-relay.test\r\n250 STARTTLS");
                    case "HELO" -> write(out, "250 relay.test");
                    case "QUIT" -> {
                        write(out, "221 bye");
                        return;
                    }
                    case "STARTTLS" -> {
                        write(out, "220 go ahead");
                        tunnel(client);
                        return;
                    }
                    default -> {
                        clearTextCommands.incrementAndGet();
                        write(out, "530 5.7.0 Must issue a STARTTLS command first");
                    }
                }
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    /** TLS with the client, then GreenMail's plain SMTP behind it (its greeting swallowed: the client had ours). */
    private void tunnel(Socket client) throws IOException {
        SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(client, "127.0.0.1", client.getPort(), false);
        secure.setUseClientMode(false);
        secure.startHandshake();
        tlsSessions.incrementAndGet();
        try (secure; Socket back = new Socket(InetAddress.getLoopbackAddress(), plainPort())) {
            InputStream backIn = back.getInputStream();
            for (int b; (b = backIn.read()) != -1 && b != '\n'; ) { /* GreenMail's 220 greeting */ }
            Thread up = Thread.ofVirtual().start(() -> pump(secure, back));
            pump(back, secure);
            up.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException | UnsupportedOperationException ignored) {
            // one side closed
        }
    }

    private static void write(OutputStream out, String lines) throws IOException {
        out.write((lines + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        front.close();
        mail.stop();
    }
}

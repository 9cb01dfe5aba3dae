package io.budgetguard.alert;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Budget alerts by email through an SMTP relay (Jakarta Mail, Angus implementation): STARTTLS required unless the
 * relay is configured otherwise, the relay's certificate and host name checked, credentials only from settings.
 */
public final class AlertMail {
    public static final int MAX_RECIPIENTS = 10;
    static final int MAX_ADDRESS_CHARS = 254;

    private final SmtpRelay relay;
    private final Session session;
    private final String protocol;

    public AlertMail(SmtpRelay relay) {
        this.relay = relay;
        this.protocol = relay.tls() == SmtpRelay.Tls.SMTPS ? "smtps" : "smtp";
        this.session = Session.getInstance(properties(relay, protocol));
    }

    private static Properties properties(SmtpRelay relay, String protocol) {
        Properties p = new Properties();
        String m = "mail." + protocol + ".";
        p.put("mail.transport.protocol", protocol);
        p.put(m + "host", relay.host());
        p.put(m + "port", String.valueOf(relay.port()));
        p.put(m + "auth", String.valueOf(relay.authenticates()));
        p.put(m + "connectiontimeout", String.valueOf(relay.timeoutMs()));
        p.put(m + "timeout", String.valueOf(relay.timeoutMs()));
        p.put(m + "writetimeout", String.valueOf(relay.timeoutMs()));
        p.put(m + "from", relay.from());
        if (relay.tls() == SmtpRelay.Tls.STARTTLS) {
            p.put(m + "starttls.enable", "true");
            // Without this a relay that does not offer STARTTLS (or a network that strips it) gets the mail in clear.
            p.put(m + "starttls.required", "true");
        }
        if (relay.tls() != SmtpRelay.Tls.NONE) {
            p.put(m + "ssl.checkserveridentity", "true");
            if (relay.caFile() != null) p.put(m + "ssl.socketFactory", trusting(relay.caFile()).getSocketFactory());
        }
        return p;
    }

    /** An SSL context that trusts only the certificates in a PEM file (a relay behind a private CA). */
    public static SSLContext trusting(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new IllegalArgumentException("holds no PEM certificate");
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) store.setCertificateEntry("ca-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be read: " + e.getClass().getSimpleName());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("is not a PEM certificate file: " + e.getMessage());
        }
    }

    /** At most {@link #MAX_RECIPIENTS} addresses, each a full address ({@code ops@example.com}); else why not. */
    public static List<String> validRecipients(List<String> addresses) {
        if (addresses.isEmpty() || addresses.size() > MAX_RECIPIENTS) {
            throw new IllegalArgumentException("must list 1 to " + MAX_RECIPIENTS + " addresses");
        }
        for (String a : addresses) validAddress(a);
        return List.copyOf(addresses);
    }

    public static String validAddress(String address) {
        try {
            if (address.length() > MAX_ADDRESS_CHARS) throw new AddressException("longer than " + MAX_ADDRESS_CHARS);
            InternetAddress parsed = new InternetAddress(address, true);
            if (!parsed.getAddress().equals(address) || !address.contains("@")) throw new AddressException("not bare");
            return address;
        } catch (AddressException e) {
            throw new IllegalArgumentException("'" + shown(address) + "' is not an email address like ops@example.com");
        }
    }

    private static String shown(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    /**
     * Sends one message. The Message-ID is derived from the delivery, so a relay or mailbox that sees the same alert
     * twice (a crash between sending and recording it) can tell.
     */
    void send(List<String> to, String subject, String text, String messageId) throws MessagingException {
        MimeMessage m = new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + messageId + "@budgetguard>");
            }
        };
        m.setFrom(new InternetAddress(relay.from(), true));
        m.setRecipients(Message.RecipientType.TO, to.stream().map(AlertMail::address).toArray(InternetAddress[]::new));
        m.setSubject(subject, "UTF-8");
        m.setText(text, "UTF-8");
        m.setSentDate(new Date());
        try (Transport t = session.getTransport(protocol)) {
            t.connect(relay.host(), relay.port(), relay.username(), relay.password());
            t.sendMessage(m, m.getAllRecipients());
        }
    }

    private static InternetAddress address(String a) {
        try {
            return new InternetAddress(a, true);
        } catch (AddressException e) {
            throw new IllegalArgumentException(e);
        }
    }
}

package io.budgetguard;

import io.budgetguard.admin.Seed;
import io.budgetguard.config.ConfigException;
import java.util.List;
import io.budgetguard.config.Settings;
import io.budgetguard.config.SettingsLoader;
import io.budgetguard.store.Database;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.tenant.TenantStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The command line: {@code serve | worker | all | migrate | seed | --help | --version}. */
public final class Main {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    static final String USAGE = """
            Usage: java -jar budgetguard.jar <command>

            Commands:
              serve      run the gateway: OpenAI-compatible proxy and admin API on PORT (default 3000)
              worker     run the background duties alone (needs REDIS_URL: counters shared with the gateways)
              all        serve and worker in one process (the default for a single machine)
              migrate    apply the SQL migrations and exit
              seed       create the 'demo' tenant and print a new API key for it, and an admin key if there is none (shown once)
              ledger verify [--tenant ID] [--head TENANT:SEQ:HASH]
                         recompute the ledger's hash chains and report the first broken link of each tenant;
                         --head also checks the chain still ends in that hash at that row (an export's
                         X-BudgetGuard-Ledger-Heads); exits 1 when a chain is broken
              reconcile --from YYYY-MM-DD --to YYYY-MM-DD
                         compare the ledger with the providers' cost reports for those days (RECONCILE_*);
                         exits 1 when a day disagrees past the threshold

            Options:
              --help     show this help
              --version  show the version

            Configuration comes from the environment and an optional .env file in the working
            directory; see .env.example and the README.""";

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.getenv(), Path.of(""), System.out, System.err, true);
        if (code != EXIT_OK) System.exit(code);
    }

    /** Runs a command; {@code block} keeps serving until the process is stopped (false in tests). */
    static int run(String[] args, Map<String, String> env, Path workDir, PrintStream out, PrintStream err, boolean block) {
        if (args.length > 0 && args[0].equals("ledger")) return LedgerCommand.run(args, env, workDir, out, err);
        if (args.length > 0 && args[0].equals("reconcile")) return ReconcileCommand.run(args, env, workDir, out, err);
        if (args.length != 1) {
            err.println(args.length == 0 ? "budgetguard: missing command" : "budgetguard: expected exactly one command");
            err.println(USAGE);
            return EXIT_USAGE;
        }
        String command = args[0];
        switch (command) {
            case "--help", "-h", "help" -> {
                out.println(USAGE);
                return EXIT_OK;
            }
            case "--version", "-V" -> {
                out.println("budgetguard " + Version.get());
                return EXIT_OK;
            }
            case "serve", "worker", "all", "migrate", "seed" -> { }
            default -> {
                err.println("budgetguard: unknown " + (command.startsWith("-") ? "option" : "command") + " '" + command + "'");
                err.println(USAGE);
                return EXIT_USAGE;
            }
        }
        Settings settings = settingsOrNull(env, workDir, err);
        if (settings == null) return EXIT_FAILURE;
        try {
            if (command.equals("serve") || command.equals("all")) {
                List<String> problems = Gateway.providerProblems(settings);
                for (String problem : problems) err.println("config error: " + problem);
                if (!problems.isEmpty()) return EXIT_FAILURE;
            }
            return execute(command, settings, out, err, block);
        } catch (StoreUnavailableException e) {
            err.println("budgetguard: " + e.getMessage());
            return EXIT_FAILURE;
        } catch (java.io.IOException e) {
            err.println("budgetguard: " + e.getMessage());
            return EXIT_FAILURE;
        }
    }

    /** The settings, or null after printing one line per problem (the caller exits 1). */
    static Settings settingsOrNull(Map<String, String> env, Path workDir, PrintStream err) {
        try {
            return SettingsLoader.load(env, workDir);
        } catch (ConfigException e) {
            for (String problem : e.problems()) err.println("config error: " + problem);
            return null;
        }
    }

    private static int execute(String command, Settings s, PrintStream out, PrintStream err, boolean block)
            throws java.io.IOException {
        switch (command) {
            case "migrate" -> {
                try (Database db = Gateway.openDatabase(s)) {
                    out.println("migrations up to date");
                }
                return EXIT_OK;
            }
            case "seed" -> {
                try (Database db = Gateway.openDatabase(s)) {
                    Seed.run(s, new TenantStore(db), new io.budgetguard.admin.AdminKeys(db), Clock.systemUTC(), out);
                }
                return EXIT_OK;
            }
            case "worker" -> {
                if (s.redisUrl() == null) {
                    err.println("budgetguard: the embedded store keeps budget counters inside the gateway process, so "
                            + "there is no separate worker to run; use `all` (or set REDIS_URL to share counters).");
                    return EXIT_USAGE;
                }
                return runUntilStopped(Gateway.startWorker(s, Clock.systemUTC()), block);
            }
            case "serve" -> {
                return runUntilStopped(Gateway.startServe(s, Clock.systemUTC()), block);
            }
            default -> {
                return runUntilStopped(Gateway.start(s, Clock.systemUTC()), block);
            }
        }
    }

    private static int runUntilStopped(Gateway gateway, boolean block) {
        if (!block) {
            gateway.close();
            return EXIT_OK;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM and SIGINT are handled here instead of by the JVM's shutdown: its hooks run all at once, and H2's
        // would close the embedded database while the drain still settles and records the last requests.
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), sig -> stopRequested.countDown());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "budgetguard-shutdown")); // any other exit
        awaitQuietly(stopRequested);
        io.budgetguard.log.JsonLog.info("stopping", "reason", "signal: draining requests in flight");
        gateway.close();
        io.budgetguard.log.JsonLog.info("stopped");
        io.budgetguard.log.JsonLog.flush();
        System.exit(EXIT_OK);
        return EXIT_OK;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

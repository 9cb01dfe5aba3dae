package io.budgetguard.ledger;

/**
 * Named steps of a group commit where the crash tests halt a child JVM (or make the commit fail), to prove that no
 * acknowledged row is lost and no row appears for a caller told its write failed. Nothing is installed in a running
 * gateway: {@link #reached} is then one volatile read.
 */
final class CrashPoint {
    enum Step { LOGGED, BEFORE_COMMIT, FAILED_BATCH_CUT }

    /** What happens at a step; may throw (a failing commit) or halt the JVM (a crash). */
    @FunctionalInterface
    interface Action {
        void at(Step step) throws java.sql.SQLException;
    }

    private static volatile Action action;

    private CrashPoint() {}

    static void install(Action a) {
        action = a;
    }

    static void reached(Step step) throws java.sql.SQLException {
        Action a = action;
        if (a != null) a.at(step);
    }
}

package io.budgetguard.admin;

/** Test access to package-private helpers of the admin package. */
public final class AdminHandlerAccess {
    private AdminHandlerAccess() {}

    public static String csv(String v) {
        return UsageRoutes.csv(v);
    }
}

package io.budgetguard;

/** What start opened so far, closed in reverse order when a later step fails (a port in use, a store down). */
final class Opened {
    private final java.util.ArrayDeque<AutoCloseable> stack = new java.util.ArrayDeque<>();

    <T extends AutoCloseable> T add(T resource) {
        stack.push(resource);
        return resource;
    }

    void closeAll(Throwable failure) {
        while (!stack.isEmpty()) {
            try {
                stack.pop().close();
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }
}

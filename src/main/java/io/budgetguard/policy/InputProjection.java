package io.budgetguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The parts of the input a policy reads, from its bundle's manifest ({@code opa deps}): every rule's input reference
 * cut at its first key that is not a constant string, so each path covers everything below it. A policy evaluated
 * on the projection decides as on the whole input, since no rule can reach outside it; the gateway's host builtins
 * are all deterministic ({@link PolicyEngine#PROVIDED_BUILTINS}), so the same projection and data always give the
 * same decision, which is what lets decisions be remembered.
 */
record InputProjection(List<List<String>> paths) {
    /** Keeps only the shortest of paths that extend one another (which also means no shared node is ever written). */
    InputProjection {
        List<List<String>> kept = new java.util.ArrayList<>();
        for (List<String> p : paths) {
            boolean covered = false;
            for (List<String> q : paths) {
                boolean shorterPrefix = q.size() < p.size() && p.subList(0, q.size()).equals(q);
                if (shorterPrefix || (q.equals(p) && kept.contains(q))) covered = true;
            }
            if (!covered) kept.add(List.copyOf(p));
        }
        paths = List.copyOf(kept);
    }

    /** Whether some rule reads {@code path} or anything below or above it. */
    boolean reads(List<String> path) {
        for (List<String> p : paths) {
            int n = Math.min(p.size(), path.size());
            if (p.subList(0, n).equals(path.subList(0, n))) return true;
        }
        return false;
    }

    /** The input with only the paths the policy reads; the input nodes themselves are shared, not copied. */
    ObjectNode project(ObjectNode input) {
        ObjectNode out = input.objectNode();
        for (List<String> p : paths) {
            if (p.isEmpty()) return input;
            JsonNode value = input;
            for (String key : p) {
                value = value.isObject() ? value.get(key) : null;
                if (value == null) break;
            }
            if (value == null) continue; // absent in the input: absent for the policy too
            ObjectNode at = out;
            for (String key : p.subList(0, p.size() - 1)) {
                JsonNode child = at.get(key);
                at = child instanceof ObjectNode o ? o : at.putObject(key);
            }
            at.set(p.getLast(), value);
        }
        return out;
    }
}

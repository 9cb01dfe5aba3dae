package io.budgetguard.proxy;

import io.budgetguard.http.ApiException;

/**
 * The upstream call failed. {@code requestWritten}: bytes of the request had been written, so the upstream may
 * have processed and billed it (it is settled at its estimate and never resent); otherwise it provably did not.
 */
final class UpstreamFailure extends Exception {
    private final ApiException answer;
    private final boolean requestWritten;

    UpstreamFailure(ApiException answer, boolean requestWritten) {
        super(answer.getMessage(), null, false, false);
        this.answer = answer;
        this.requestWritten = requestWritten;
    }

    ApiException answer() {
        return answer;
    }

    boolean requestWritten() {
        return requestWritten;
    }
}

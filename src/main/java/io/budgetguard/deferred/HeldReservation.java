package io.budgetguard.deferred;

import io.budgetguard.budget.ReservationPayload;
import io.budgetguard.core.Reservation;

/**
 * A reservation held past its request (a batch, a background response) until a worker or a later poll sees its
 * object end, with the price entry its usage is billed at. Stored in {@code tenant_objects.reservation} as three
 * lines: the reservation's id, the price entry, the reservation's payload.
 */
public record HeldReservation(String pricedAs, Reservation reservation) {
    public String encode() {
        return reservation.id() + "\n" + pricedAs + "\n" + ReservationPayload.write(reservation);
    }

    public static HeldReservation decode(String tenantId, String stored) {
        int first = stored.indexOf('\n');
        int second = stored.indexOf('\n', first + 1);
        if (first < 0 || second < 0) throw new IllegalStateException("unreadable held reservation of " + tenantId);
        String id = stored.substring(0, first);
        return new HeldReservation(stored.substring(first + 1, second),
                ReservationPayload.read(tenantId, id, stored.substring(second + 1)));
    }
}

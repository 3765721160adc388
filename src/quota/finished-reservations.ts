import type { BudgetSpec, Reservation } from './types.js';

/** Set on a reservation once it is settled or released. */
const FINISHED = Symbol('finished');

/**
 * Which reservations were already settled or released, so a second `settle`/`release` (a `finally`
 * after a settle) cannot hand back headroom that other requests are now using. The mark is a property
 * of the reservation (the store's own object), not a WeakSet entry: one per request, and a WeakSet's
 * entries cost the collector too.
 */
export class FinishedReservations {
  /** Marks a reservation finished; `false` when it already was. */
  finish(budget: BudgetSpec, reservation: Reservation): boolean {
    // Crediting one budget with another's reservation would free headroom that is not there.
    if (reservation.budgetId !== budget.id) {
      throw new Error(`reservation for budget ${reservation.budgetId} cannot be returned to budget ${budget.id}`);
    }
    const marked = reservation as Reservation & { [FINISHED]?: true };
    if (marked[FINISHED] === true) return false;
    marked[FINISHED] = true;
    return true;
  }
}

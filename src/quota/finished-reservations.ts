import type { BudgetSpec, Reservation } from './types.js';

/**
 * Which reservations were already settled or released, so a second `settle`/`release` (a `finally`
 * after a settle) cannot hand back headroom that other requests are now using.
 */
export class FinishedReservations {
  private readonly finished = new WeakSet<Reservation>();

  /** Marks a reservation finished; `false` when it already was. */
  finish(budget: BudgetSpec, reservation: Reservation): boolean {
    // Crediting one budget with another's reservation would free headroom that is not there.
    if (reservation.budgetId !== budget.id) {
      throw new Error(`reservation for budget ${reservation.budgetId} cannot be returned to budget ${budget.id}`);
    }
    if (this.finished.has(reservation)) return false;
    this.finished.add(reservation);
    return true;
  }
}

"""Domain policy facts the perturbations rely on, so a forbidden write is really forbidden."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

__all__ = ["cancellation_allowed"]


def cancellation_allowed(reservation: Any, db: Any, now: str) -> bool:
    """Airline policy: cancellable if booked within 24 h, business, insured (the reason may be covered)
    or any of its flights was cancelled by the airline."""
    created = datetime.fromisoformat(str(reservation.created_at))
    if now and datetime.fromisoformat(now) - created <= timedelta(hours=24):
        return True
    if reservation.cabin == "business" or reservation.insurance == "yes":
        return True
    for flight in reservation.flights:
        record = db.flights.get(flight.flight_number)
        status = record.dates.get(flight.date) if record is not None else None
        if getattr(status, "status", None) == "cancelled":
            return True
    return False

"""Errors of the CLV models, worded for the person who supplied the data.

They are `InputError`s (exit code 2, HTTP 422: the data, not the server, is the problem) and
also `ValueError`s, so numeric callers can catch them the usual way."""

from __future__ import annotations

from salesmetrics.domain.errors import InputError


class ClvError(InputError, ValueError):
    """Base of every CLV error; the message says what is wrong and what to do."""


class BadInput(ClvError):
    """Arrays that cannot describe customers (lengths differ, negative counts, NaN, ...)."""


class TooLittleData(ClvError):
    """Too few customers, or too few repeat buyers, for the model to learn anything."""


class FitFailed(ClvError):
    """The likelihood could not be maximised, or its maximum is not a usable model."""
